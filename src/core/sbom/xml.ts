/**
 * A small, safe XML reader for the subset SBOM documents use: elements, attributes, text, CDATA, comments and
 * the XML declaration. DOCTYPE declarations and entity references other than the five predefined ones and
 * numeric character references are rejected outright (no DTDs, no external or expanding entities: XXE and
 * billion-laughs cannot happen). Sizes and depth are capped.
 */
import { PalisadeError } from "../errors/index.js";

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
  /** Offset of the element's `<` in the text (for file:line positions). */
  offset: number;
}

export const XML_LIMITS = { maxBytes: 64 * 1024 * 1024, maxDepth: 256, maxElements: 2_000_000 } as const;

const PREDEFINED: Readonly<Record<string, string>> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

function decodeEntities(s: string, pos: number): string {
  return s.replace(/&([^;&\s]{0,32});/g, (_m, ent: string) => {
    if (Object.hasOwn(PREDEFINED, ent)) return PREDEFINED[ent] as string;
    const num = /^#x([0-9a-fA-F]+)$/.exec(ent) ?? /^#([0-9]+)$/.exec(ent);
    if (num?.[1]) {
      const cp = Number.parseInt(num[1], ent.startsWith("#x") ? 16 : 10);
      if (cp > 0 && cp <= 0x10ffff) return String.fromCodePoint(cp);
    }
    throw new PalisadeError("UNSAFE", `XML entity reference &${ent}; is not allowed`, {
      context: { column: pos },
    });
  });
}

/** Parse XML text into its root element. Throws PalisadeError INPUT (malformed), UNSAFE (DTD/entities), LIMIT. */
export function parseXml(text: string): XmlElement {
  if (text.length > XML_LIMITS.maxBytes)
    throw new PalisadeError("LIMIT", `XML document over ${XML_LIMITS.maxBytes} bytes`);
  if (/<!DOCTYPE/i.test(text) || /<!ENTITY/i.test(text))
    throw new PalisadeError("UNSAFE", "XML DOCTYPE and ENTITY declarations are not allowed");
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let count = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const lt = text.indexOf("<", i);
    const chunk = lt < 0 ? text.slice(i) : text.slice(i, lt);
    if (chunk.length > 0) {
      const top = stack[stack.length - 1];
      if (top) top.text += decodeEntities(chunk, i);
      else if (chunk.trim() !== "") throw new PalisadeError("INPUT", "text outside the root element");
    }
    if (lt < 0) break;
    if (text.startsWith("<?", lt)) {
      const end = text.indexOf("?>", lt);
      if (end < 0) throw new PalisadeError("INPUT", "unterminated processing instruction");
      i = end + 2;
    } else if (text.startsWith("<!--", lt)) {
      const end = text.indexOf("-->", lt);
      if (end < 0) throw new PalisadeError("INPUT", "unterminated comment");
      i = end + 3;
    } else if (text.startsWith("<![CDATA[", lt)) {
      const end = text.indexOf("]]>", lt);
      if (end < 0) throw new PalisadeError("INPUT", "unterminated CDATA section");
      const top = stack[stack.length - 1];
      if (!top) throw new PalisadeError("INPUT", "CDATA outside the root element");
      top.text += text.slice(lt + 9, end);
      i = end + 3;
    } else if (text.startsWith("<!", lt)) {
      throw new PalisadeError("UNSAFE", "XML markup declarations are not allowed");
    } else if (text.startsWith("</", lt)) {
      const end = text.indexOf(">", lt);
      if (end < 0) throw new PalisadeError("INPUT", "unterminated end tag");
      const name = text.slice(lt + 2, end).trim();
      const top = stack.pop();
      if (!top || top.name !== name) throw new PalisadeError("INPUT", `mismatched end tag </${name}>`);
      i = end + 1;
    } else {
      const m = /^<([A-Za-z_][\w.:-]*)((?:\s+[A-Za-z_][\w.:-]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>/.exec(
        text.slice(lt, lt + 65536),
      );
      if (!m) throw new PalisadeError("INPUT", `malformed tag at offset ${lt}`);
      const [whole, name, attrText, selfClose] = m as unknown as [string, string, string, string];
      const attributes: Record<string, string> = Object.create(null);
      for (const a of attrText.matchAll(/([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"<]*)"|'([^'<]*)')/g)) {
        attributes[a[1] as string] = decodeEntities(a[2] ?? a[3] ?? "", lt);
      }
      const el: XmlElement = { name, attributes, children: [], text: "", offset: lt };
      if (++count > XML_LIMITS.maxElements)
        throw new PalisadeError("LIMIT", `more than ${XML_LIMITS.maxElements} XML elements`);
      const parent = stack[stack.length - 1];
      if (parent) parent.children.push(el);
      else if (root) throw new PalisadeError("INPUT", "more than one root element");
      else root = el;
      if (!selfClose) {
        stack.push(el);
        if (stack.length > XML_LIMITS.maxDepth)
          throw new PalisadeError("LIMIT", `XML nested deeper than ${XML_LIMITS.maxDepth}`);
      }
      i = lt + whole.length;
    }
  }
  if (stack.length > 0)
    throw new PalisadeError("INPUT", `unclosed element <${stack[stack.length - 1]?.name}>`);
  if (!root) throw new PalisadeError("INPUT", "no root element");
  return root;
}

/** Local name without a namespace prefix. */
export function localName(name: string): string {
  const i = name.indexOf(":");
  return i < 0 ? name : name.slice(i + 1);
}

/** First child with this local name. */
export function child(el: XmlElement, name: string): XmlElement | undefined {
  return el.children.find((c) => localName(c.name) === name);
}
