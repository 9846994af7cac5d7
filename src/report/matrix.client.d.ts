// matrix.client.js is embedded as text (import ... with { type: "text" }), never run by the CLI.
declare const text: string;
export default text;
