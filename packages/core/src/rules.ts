/**
 * The rules of @upnext/core without its wire schemas: the status machine, job kinds, the name and
 * job-id rules and the event ordering. A browser bundle (the dashboard) imports its values from
 * here, `@upnext/core/rules`, so it takes these few modules and not zod with every contract;
 * types come from `@upnext/core` as usual. Everything here is also exported by `@upnext/core`.
 */
export * from "./event-order.js";
export * from "./job-status.js";
export * from "./job.js";
export * from "./names.js";
