/** Types of generate-tray-icons.mjs, for the TypeScript tests that check the committed icons. */
export declare const TRAY_STATES: readonly ['steady', 'pressure', 'degraded', 'down'];
export declare const TRAY_THEMES: readonly ['light', 'dark'];
export declare const TRAY_BASE_SIZE: number;
export declare const PNG_SIGNATURE: Buffer;
export declare const trayIconDir: string;
export declare function trayIconFileName(state: string, theme: string, scale?: 1 | 2): string;
/** RGBA pixels (straight alpha), row-major. */
export declare function drawTrayIcon(state: string, theme: string, size: number): Uint8Array;
export declare function encodePng(width: number, height: number, rgba: Uint8Array): Buffer;
export declare function decodePng(bytes: Uint8Array): { width: number; height: number; pixels: Uint8Array };
/** Every icon as [fileName, png bytes, size]. */
export declare function renderTrayIcons(): Array<[string, Buffer, number]>;
/** Names of committed icons whose pixels differ from what the script draws (or that are missing). */
export declare function staleTrayIcons(dir?: string): string[];
