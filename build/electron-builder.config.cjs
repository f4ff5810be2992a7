// electron-builder configuration for Mai (`npm run dist`).
//
// Fuses are flipped by electron-builder itself (the `electronFuses` key, app-builder-lib ≥ 25, here
// 26.17): it runs @electron/fuses on the packaged binary right before signing. The
// afterAllArtifactBuild hook (build/after-pack-fuses.cjs) then reads the fuse wire back from every
// packaged app and fails the build if any fuse differs from `electronFuses` below.
// See docs/security.md ("Packaging: asar and fuses") for why each fuse is set and how to check,
// on a packaged build, that node-llama-cpp still starts in the engine's utilityProcess.

/** @type {import('app-builder-lib').FuseOptionsV1} */
const electronFuses = {
  // ELECTRON_RUN_AS_NODE is ignored: the Mai binary cannot be used as a plain Node to run any script.
  // The engine is a utilityProcess, which does not go through ELECTRON_RUN_AS_NODE.
  runAsNode: false,
  // NODE_OPTIONS / NODE_EXTRA_CA_CERTS are ignored (no --require of foreign code through the environment).
  enableNodeOptionsEnvironmentVariable: false,
  // --inspect, --inspect-brk and SIGUSR1 cannot open a debugger on main.
  enableNodeCliInspectArguments: false,
  // Cookies on disk are encrypted with the OS keychain (Mai keeps none today; free defence in depth).
  enableCookieEncryption: true,
  // app.asar is checked against the hash embedded at build time (macOS, Windows).
  enableEmbeddedAsarIntegrityValidation: true,
  // Only app.asar is loaded, never a loose resources/app folder planted next to it.
  onlyLoadAppFromAsar: true,
  // Left as Electron's default on purpose: Mai loads its renderer from a file:// URL
  // (loadURL(pathToFileURL(index.html)), electron/main/electron/renderer-page.ts) and its ES-module
  // bundle needs file:// to load file:// scripts. Turn this off after moving the renderer
  // to a custom protocol (app://), see docs/security.md.
  // grantFileProtocolExtraPrivileges: false,
};

/** @type {import('app-builder-lib').Configuration} */
module.exports = {
  appId: 'ai.mai.desktop',
  productName: 'Mai',
  copyright: 'Copyright © Mai contributors',
  directories: { output: 'release' },
  // The bundles (main, preload, engine, renderer) and package.json ("main": "dist/main/index.js").
  // Production dependencies in node_modules are added by electron-builder; for node-llama-cpp only
  // the native binaries of the platform being packaged are kept (as node-llama-cpp's own Electron
  // template does), instead of every platform's.
  files: [
    'dist/**',
    'package.json',
    '!dist/web/**',
    '!node_modules/node-llama-cpp/bins/**/*',
    'node_modules/node-llama-cpp/bins/${os}-${arch}*/**/*',
    '!node_modules/node-llama-cpp/llama/localBuilds/**/*',
    'node_modules/node-llama-cpp/llama/localBuilds/${os}-${arch}*/**/*',
    '!node_modules/@node-llama-cpp/*/bins/**/*',
    'node_modules/@node-llama-cpp/${os}-${arch}*/bins/**/*',
  ],
  // Files read from outside app.asar at run time, under process.resourcesPath: the tray icons
  // (electron/main/electron/icons.ts reads <resources>/icons/tray/tray-<state>-<theme>[@2x].png).
  // build/ is electron-builder's buildResources folder, which `files` never packs, so without this
  // entry the packaged tray has no image. tests/integration/packaging-manifest.test.ts checks it.
  extraResources: [{ from: 'build/icons/tray', to: 'icons/tray', filter: ['*.png'] }],
  // node-llama-cpp ships N-API prebuilt binaries that load in any Electron; a rebuild would try to
  // compile llama.cpp from source on the packaging machine (and the packaging test builds without it).
  npmRebuild: false,
  asar: true,
  // The .node addons and ggml/llama shared libraries cannot be dlopen()ed from inside an asar
  // archive: node-llama-cpp and its per-platform binary packages stay unpacked
  // (resources/app.asar.unpacked/…). node-llama-cpp maps its binary paths from .asar to
  // .asar.unpacked itself (resolveActualBindingBinaryPath).
  asarUnpack: ['node_modules/node-llama-cpp/**', 'node_modules/@node-llama-cpp/**'],
  electronFuses,
  afterAllArtifactBuild: './build/after-pack-fuses.cjs',
  linux: {
    target: ['AppImage', 'deb'],
    category: 'Utility',
    // The deb needs a maintainer (package.json has no author): set the real address before publishing.
    maintainer: 'Mai maintainers <maintainers@mai.invalid>',
    synopsis: 'Local AI assistant that scales its model to the machine',
  },
  deb: { priority: 'optional' },
  mac: {
    target: ['dmg'],
    category: 'public.app-category.productivity',
    hardenedRuntime: true,
  },
  win: { target: ['nsis'] },
  nsis: { oneClick: false, perMachine: false, allowToChangeInstallationDirectory: true },
};
