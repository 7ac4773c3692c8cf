/**
 * The trust list ("liste blanche" of the espace de confiance MSSanté) as the ANS publishes it:
 * `listeblanchemssante.xml`, namespace `https://listeblanche.mssante.fr/schema`, one `Domaine/Nom` per
 * domain (what client tools read with `//n:Domaine/n:Nom`). The root element name and the comment are
 * segur-sim's choice (no published sample was reachable).
 */
import { escapeXml } from '../core/xml/escape.js';
import { TRUST_LIST_NAMESPACE } from './constants.js';
import type { MailDirectory } from './directory.js';

export function trustListXml(directory: MailDirectory, generatedAt: Date): string {
  const domains = directory.trustDomains();
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<!-- segur-sim: simulated MSSanté trust space (test domains only, generated ${generatedAt.toISOString()}) -->`,
    `<ListeBlanche xmlns="${TRUST_LIST_NAMESPACE}">`,
    ...domains.map((d) => `  <Domaine><Nom>${escapeXml(d)}</Nom></Domaine>`),
    '</ListeBlanche>',
    '',
  ].join('\n');
}
