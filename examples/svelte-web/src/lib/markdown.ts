import DOMPurify from 'dompurify';
import { Marked } from 'marked';

// GitHub-flavoured markdown (tables, fenced code), single newlines kept as line breaks like a chat answer.
const markdown = new Marked({ gfm: true, breaks: true, async: false });

// The model's text is untrusted. marked passes raw HTML through, so everything it outputs goes through DOMPurify:
// scripts, event handlers (`onerror=`), `javascript:` and other non-web URLs, forms, iframes and styles are removed.
// Images too: a model steered by a prompt injection could leak the conversation through an image URL it makes the
// browser load.
const purifier = DOMPurify(window);
purifier.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A' && node.hasAttribute('href')) {
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer nofollow');
  }
});

const PURIFY_OPTIONS = {
  USE_PROFILES: { html: true },
  FORBID_TAGS: ['img', 'style', 'form', 'input', 'button', 'textarea', 'select', 'iframe', 'object', 'embed'],
  FORBID_ATTR: ['style', 'id', 'name'],
};

/**
 * Turns a model's markdown answer (possibly cut mid-stream) into safe HTML for `{@html}`.
 *
 * @example
 * renderMarkdown('**hi** <img src=x onerror=alert(1)>'); // '<p><strong>hi</strong> </p>'
 */
export function renderMarkdown(text: string): string {
  const html = markdown.parse(text) as string;
  return purifier.sanitize(html, PURIFY_OPTIONS);
}
