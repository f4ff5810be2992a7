/** The tray and native-notification logic, free of Electron (adapters: electron/main/electron/{tray,notifications}.ts). */
export * from './events';
export * from './tray-model';
export * from './notification-policy';
export * from './test-hook';
export * from './status-controller';
