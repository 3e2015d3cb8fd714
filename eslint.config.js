// @ts-check
import eslint from "@eslint/js";
import jsxA11y from "eslint-plugin-jsx-a11y";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";
import tseslint from "typescript-eslint";

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
  {
    files: ["**/*.js"],
    ...tseslint.configs.disableTypeChecked,
  },
);
