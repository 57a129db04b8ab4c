/**
 * HTML built with a tagged template that escapes every interpolated value by default. A template
 * cannot forget to escape a user value: only `SafeHtml` (output of `html`…`` itself) passes through
 * unescaped, so trusted markup has to be built with the same tag.
 */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

/** Escapes text for an HTML text node or a quoted attribute value. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (c) => ESCAPES[c] ?? c);
}

type Interpolation = SafeHtml | string | number | null | undefined | false | readonly Interpolation[];

function render(value: Interpolation): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map((v: Interpolation) => render(v)).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, index) => {
    out += render(value) + (strings[index + 1] ?? '');
  });
  return new SafeHtml(out);
}

/** Newlines in user text become <br>, after escaping. */
export function paragraphs(text: string): SafeHtml {
  return new SafeHtml(
    text
      .split(/\r?\n\s*\r?\n/)
      .map((para) => `<p style="margin:0 0 12px">${para.split(/\r?\n/).map(escapeHtml).join('<br>')}</p>`)
      .join(''),
  );
}

/** A call-to-action button; `href` is a validated http(s) URL, escaped like any attribute value. */
export function button(label: string, href: string): SafeHtml {
  return html`<p style="margin:24px 0"><a href="${href}" style="background:#2563eb;color:#ffffff;padding:10px 18px;border-radius:6px;text-decoration:none;display:inline-block">${label}</a></p>`;
}

/** The shared e-mail frame: inline styles only, because mail clients drop <style> blocks. */
export function layout(options: { title: string; body: SafeHtml; footer?: string }): string {
  return html`<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${options.title}</title></head>
<body style="margin:0;padding:24px;background:#f4f4f5;font-family:Helvetica,Arial,sans-serif;color:#18181b">
<div style="max-width:560px;margin:0 auto;background:#ffffff;border-radius:8px;padding:24px">
${options.body}
</div>
<p style="max-width:560px;margin:12px auto;color:#71717a;font-size:12px">${options.footer ?? 'You received this e-mail because of an action on your account.'}</p>
</body>
</html>
`.value;
}
