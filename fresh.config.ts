/** The app's configuration: what the build produces and where the server finds it (Fresh's fresh.config.ts). */
export default {
  root: new URL("./", import.meta.url),
  build: {
    /** Tailwind CSS v4 input; `@source` lines in it name the folders it scans for classes. */
    css: "static/styles.css",
    /** Files copied into the build under a content hash: logical path → file. */
    extraFiles: {
      "/scalar.js": "node_modules/@scalar/api-reference/dist/browser/standalone.js",
    },
  },
};
