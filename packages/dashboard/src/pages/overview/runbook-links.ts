/**
 * The runbook rows come with the API filter that lists the jobs behind them (`link.filter`);
 * these turn it into the dashboard's own pages.
 */
import type { ListLink } from "@upnext/core";
import type { JobFilters } from "../../api/job-filters.js";
import { validateJobsSearch } from "../jobs/jobs-search.js";

export function jobsSearchOf(link: ListLink): JobFilters {
  return validateJobsSearch(link.filter);
}

export function deadLetterSearchOf(link: ListLink): { function?: string } {
  const fn = link.filter.function;
  const value = Array.isArray(fn) ? fn[0] : fn;
  return value === undefined ? {} : { function: value };
}
