/** The demo Moodle site: import from here. */
export { startDemoServer } from "./server.ts";
export type { DemoServer } from "./server.ts";
export { DEFAULT_DEMO_PASSWORD, defaultDemoUsers } from "./options.ts";
export type { DemoOptions, DemoTls, DemoUserSpec } from "./options.ts";
export type { DemoCounters } from "./counters.ts";
export { COOKIES_NOT_ENABLED, INVALID_LOGIN, SESSION_TIMED_OUT } from "./site.ts";
export { displaySize } from "./perf_footer_html.ts";
export { demoRunConfig } from "./config.ts";
export type { DemoConfigOptions } from "./config.ts";
