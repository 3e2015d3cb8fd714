import { QueryClientProvider } from "@tanstack/react-query";
import { RouterProvider } from "@tanstack/react-router";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { createQueryClient } from "./app/query-client.js";
import { createAppRouter } from "./app/router.js";
import { initI18n } from "./i18n/i18n.js";
import { EventStreamProvider } from "./live/event-stream-provider.js";
import "./styles.css";

const queryClient = createQueryClient();
const router = createAppRouter(queryClient);

await initI18n();

const root = document.getElementById("root");
if (root === null) throw new Error("index.html has no #root element");

createRoot(root).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <EventStreamProvider>
        <RouterProvider router={router} />
      </EventStreamProvider>
    </QueryClientProvider>
  </StrictMode>,
);
