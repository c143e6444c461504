/**
 * Text made safe for HTML and XML, in element content and in quoted attribute values: `&`, `<`,
 * `>`, `"` and `'` become character references. Everything from a config or a request goes
 * through this before it reaches the admin page.
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}
