/** The route page's search params: which route of the API (`?method=GET&route=/users/:id`). */
export interface ApiRouteSearch {
  readonly method: string;
  readonly route: string;
}

export function validateApiRouteSearch(search: Record<string, unknown>): ApiRouteSearch {
  return {
    method: typeof search.method === "string" ? search.method.toUpperCase() : "GET",
    route: typeof search.route === "string" && search.route !== "" ? search.route : "/",
  };
}
