// Text into SQL sent through the Management API's /database/query, which takes no parameters we rely on.

/**
 * A dollar-quoted literal whose tag does not occur in the text, so no escaping rules are involved. The closing tag
 * must be the first occurrence after the opening one, including one the text's end would form with it ("…$m" + "$m$").
 */
export function sqlTextLiteral(text: string): string {
  let tag = "$m$";
  for (let i = 0; (text + tag).indexOf(tag) !== text.length; i++) tag = `$m${i}$`;
  return `${tag}${text}${tag}`;
}
