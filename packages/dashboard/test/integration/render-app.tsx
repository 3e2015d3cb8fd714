/** The whole dashboard at `path`, with its live streams, against the server set by setApiOrigin. */
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { RouterProvider, createMemoryHistory, createRouter } from "@tanstack/react-router";
import { render } from "@testing-library/react";
import { routeTree } from "../../src/app/router.js";
import { EventStreamProvider } from "../../src/live/event-stream-provider.js";

export function renderApp(path: string) {
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const router = createRouter({
    routeTree,
    context: { queryClient },
    history: createMemoryHistory({ initialEntries: [path] }),
  });
  render(
    <QueryClientProvider client={queryClient}>
      <EventStreamProvider>
        <RouterProvider router={router} />
      </EventStreamProvider>
    </QueryClientProvider>,
  );
  return { router, queryClient };
}
