/** Defaults that code outside the configuration schema needs before it is loaded (see main.ts). */
export const DEFAULT_DATA_DIR = "./data";
