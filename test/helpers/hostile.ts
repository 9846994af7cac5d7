// Values a user could type that mean something to a shell: each must reach a floater's probe
// command as the same bytes, or be refused before anything is created.
export const HOSTILE: readonly string[] = [
  "a'b$(id)", // measured in issue 24: ran the whole check, every pair Error
  "$(touch pwned)",
  "`id`",
  "a\nb",
  "a;b",
  "a && b",
  "a b",
  'a"b',
  "a\\b",
  "$HOME",
  "*",
  "a|b>c",
  "'",
  "-x",
];
