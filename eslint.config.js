// @ts-check
import eslint from "@eslint/js";
import jsxA11y from "eslint-plugin-jsx-a11y";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";
import tseslint from "typescript-eslint";

/**
 * The layers (docs/architecture.md): what each folder may not import. One block per folder, each
 * listing everything that folder may not import, because a later block's `no-restricted-imports`
 * replaces an earlier one's for the same file rather than adding to it. Import cycles are
 * checked by scripts/check-import-cycles.ts (type-only imports included).
 */
const NO_REDIS_CLIENT = {
  group: ["ioredis"],
  message: "Only backend/redis/ talks to Redis; reach the store through the ports in backend/.",
};
const NO_REDIS_BACKEND = {
  group: ["**/backend/redis/**"],
  message: "runtime/ and sdk/ reach the store through the ports in backend/, never backend/redis/ itself.",
};
const NO_SERVER_PACKAGE = {
  group: ["@upnext/server", "@upnext/server/**"],
  message: "upnext must not depend on @upnext/server (the server depends on upnext).",
};
/**
 * Files of runtime/ and sdk/ that still reach Redis themselves rather than through a port in
 * backend/ (docs/architecture.md, "Not yet behind the ports"). The list only shrinks: a file
 * taken off it is held to the rule from then on, and no file is added.
 */
const STORE_PORTS_PENDING = [
  "packages/upnext/src/runtime/cron/schedule-store.ts",
  "packages/upnext/src/runtime/execution/fetcher.ts",
  "packages/upnext/src/runtime/namespace-client.ts",
  "packages/upnext/src/runtime/observability/queue-depth.ts",
  "packages/upnext/src/runtime/registration.ts",
  "packages/upnext/src/runtime/signal-subscriber.ts",
  "packages/upnext/src/runtime/status/status-publisher.ts",
  "packages/upnext/src/runtime/status/status-spill.ts",
  "packages/upnext/src/runtime/status/status-stream.ts",
  "packages/upnext/src/runtime/sweeps/stream-sweep.ts",
  "packages/upnext/src/sdk/worker.ts",
];
const layerRules = [
  {
    files: ["packages/core/src/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: ["node:*"], message: "@upnext/core runs in the browser too: no node:* modules." },
            {
              group: ["ioredis", "upnext", "@upnext/server", "@upnext/dashboard"],
              message: "@upnext/core imports nothing of ours and no client library.",
            },
          ],
        },
      ],
      "no-restricted-globals": [
        "error",
        {
          name: "process",
          message: "@upnext/core runs in the browser too; reading the environment belongs to upnext.",
        },
        { name: "Buffer", message: "@upnext/core runs in the browser too; use Uint8Array and TextEncoder." },
      ],
    },
  },
  {
    files: ["packages/upnext/src/runtime/**/*.ts", "packages/upnext/src/sdk/**/*.ts"],
    ignores: STORE_PORTS_PENDING,
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [NO_REDIS_CLIENT, NO_REDIS_BACKEND, NO_SERVER_PACKAGE] },
      ],
    },
  },
  {
    files: STORE_PORTS_PENDING,
    rules: { "no-restricted-imports": ["error", { patterns: [NO_SERVER_PACKAGE] }] },
  },
  {
    // `typeof import("@upnext/server")` is a type dependency no-restricted-imports does not see.
    files: ["packages/upnext/src/**/*.ts"],
    rules: {
      "no-restricted-syntax": [
        "error",
        {
          selector: "TSImportType[argument.literal.value=/^@upnext\\u002Fserver/]",
          message:
            "upnext must not depend on @upnext/server, not even for types (the server depends on upnext).",
        },
      ],
    },
  },
  {
    files: ["packages/upnext/src/backend/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["**/runtime/**", "**/sdk/**", "**/cli/**"],
              message: "backend/ is the bottom layer of upnext: it imports only core.",
            },
            NO_SERVER_PACKAGE,
          ],
        },
      ],
    },
  },
  {
    files: ["packages/upnext/src/cli/**/*.ts", "packages/upnext/src/index.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: [NO_SERVER_PACKAGE] }] },
  },
  {
    files: ["packages/server/src/store/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              regex: "^\\.\\./(?!lib/)",
              message:
                "store/ is the bottom layer of the server: it imports only core and lib/ (paging SQL lives in store/, HTTP paging in http/).",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["packages/server/src/lib/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              regex: "^\\.\\./",
              message: "lib/ holds shared helpers and imports no other server folder.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["packages/dashboard/src/**/*.{ts,tsx}"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: [
            {
              name: "upnext",
              allowTypeImports: true,
              message: "The dashboard runs in the browser: import values from @upnext/core/rules.",
            },
            {
              name: "@upnext/server",
              allowTypeImports: true,
              message: "The dashboard runs in the browser: import values from @upnext/core/rules.",
            },
            {
              name: "@upnext/core",
              allowTypeImports: true,
              message:
                "Types from @upnext/core; values from @upnext/core/rules, which leaves the wire schemas (and zod) out of the bundle.",
            },
          ],
          patterns: [{ group: ["node:*", "ioredis"], message: "The dashboard runs in the browser." }],
        },
      ],
    },
  },
];

export default tseslint.config(
  {
    ignores: [
      "**/node_modules/**",
      "**/dist/**",
      "packages/server/dashboard/**",
      // A user's project, type-checked by `npm run pack:check` against the packed tarballs.
      "scripts/pack-check/consumer/**",
      "bench/results/**",
      ".tmp/**",
      "**/*.lua",
    ],
  },
  eslint.configs.recommended,
  tseslint.configs.strictTypeChecked,
  tseslint.configs.stylisticTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: {
          allowDefaultProject: ["*.js", "packages/upnext/bin/*.js"],
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // Template literals with numbers are how durations and ids are rendered in messages.
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    // The dashboard: browser code with JSX, plus the React hooks rules and accessibility checks.
    files: ["packages/dashboard/**/*.{ts,tsx}"],
    ...reactHooks.configs.flat["recommended-latest"],
    ...jsxA11y.flatConfigs.strict,
    languageOptions: {
      ...jsxA11y.flatConfigs.strict.languageOptions,
      globals: { ...globals.browser },
    },
    plugins: {
      ...reactHooks.configs.flat["recommended-latest"].plugins,
      ...jsxA11y.flatConfigs.strict.plugins,
    },
    rules: {
      ...reactHooks.configs.flat["recommended-latest"].rules,
      ...jsxA11y.flatConfigs.strict.rules,
      // Scrollable areas are labelled regions and must take focus so keyboard users can scroll them.
      "jsx-a11y/no-noninteractive-tabindex": ["error", { tags: [], roles: ["region"] }],
      // Reports where the React Compiler would skip a component; the dashboard does not use the compiler.
      "react-hooks/incompatible-library": "off",
    },
  },
  ...layerRules,
  {
    files: ["**/*.js"],
    ...tseslint.configs.disableTypeChecked,
  },
);
