/**
 * Response samples written for these tests from the shapes documented in insi.md §3.3 and §4
 * (values are the public qualif personas of §6.1; the markup is ours).
 */
const SOAP = 'http://www.w3.org/2003/05/soap-envelope';

/** Current live form: default namespace on RESULTAT, ns0/ns1 declared, no Prenom, two Body prefixes. */
export const RESULT_CURRENT_ECETINSI = `<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="${SOAP}"><env:Body xmlns:S="${SOAP}" xmlns:env="${SOAP}">
<RESULTAT xmlns="http://www.cnamts.fr/INSiResultat" xmlns:ns0="http://www.cnamts.fr/INSiRecVit" xmlns:ns1="http://www.cnamts.fr/INSiRecSans">
  <CR><CodeCR>00</CodeCR><LibelleCR>OK</LibelleCR></CR>
  <INDIVIDU>
    <INSACTIF><IdIndividu><NumIdentifiant>1090763220834</NumIdentifiant><Cle>89</Cle></IdIndividu><OID>1.2.250.1.213.1.4.8</OID></INSACTIF>
    <INSHISTO><IdIndividu><NumIdentifiant>2090763220834</NumIdentifiant><Cle>39</Cle></IdIndividu><OID>1.2.250.1.213.1.4.8</OID><DateDeb>2019-03-01</DateDeb><DateFin>2019-02-28</DateFin></INSHISTO>
    <TIQ><NomNaissance>ECETINSI</NomNaissance><ListePrenom>PIERRE-ALAIN MURIEL FLORIANT</ListePrenom><Sexe>M</Sexe><DateNaissance>2009-07-14</DateNaissance><LieuNaissance>63220</LieuNaissance></TIQ>
  </INDIVIDU>
</RESULTAT></env:Body></soap:Envelope>`;

/** CNDA-file form: ns3/ns2 declared, Prenom present, dates before the OID in INSHISTO, two INSHISTO. */
export const RESULT_CNDA_HERMANN = `<soap:Envelope xmlns:soap="${SOAP}"><S:Body xmlns:S="${SOAP}">
<RESULTAT xmlns:ns3="http://www.cnamts.fr/INSiRecVit" xmlns:ns2="http://www.cnamts.fr/INSiRecSans" xmlns="http://www.cnamts.fr/INSiResultat">
<CR><CodeCR>00</CodeCR><LibelleCR>OK</LibelleCR></CR>
<INDIVIDU>
<INSACTIF><IdIndividu><NumIdentifiant>1810363220456</NumIdentifiant><Cle>76</Cle><TypeMatricule>NIR</TypeMatricule></IdIndividu><OID>1.2.250.1.213.1.4.8</OID></INSACTIF>
<INSHISTO><DateDeb>2010-01-01</DateDeb><IdIndividu><NumIdentifiant>1810363220456</NumIdentifiant><Cle>76</Cle></IdIndividu><OID>1.2.250.1.213.1.4.8</OID></INSHISTO>
<INSHISTO><IdIndividu><NumIdentifiant>2810363220456</NumIdentifiant><Cle>26</Cle></IdIndividu><OID>1.2.250.1.213.1.4.8</OID></INSHISTO>
<TIQ><NomNaissance>HERMANN</NomNaissance><Prenom>GATIEN</Prenom><ListePrenom>GATIEN</ListePrenom><Sexe>M</Sexe><DateNaissance>1981-03-24</DateNaissance><LieuNaissance>63220</LieuNaissance></TIQ>
</INDIVIDU></RESULTAT></S:Body></soap:Envelope>`;

/** 2021 capture form: every element prefixed ns2 (INSiResultat), default namespace INSiRecSans, Prenom and no ListePrenom. */
export const RESULT_2021_ADRTROIS = `<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="${SOAP}"><S:Body xmlns:S="${SOAP}">
<ns2:RESULTAT xmlns="http://www.cnamts.fr/INSiRecSans" xmlns:ns2="http://www.cnamts.fr/INSiResultat"><ns2:CR><ns2:CodeCR>00</ns2:CodeCR><ns2:LibelleCR>OK</ns2:LibelleCR></ns2:CR>
<ns2:INDIVIDU><ns2:INSACTIF><ns2:IdIndividu><ns2:NumIdentifiant>297022A020778</ns2:NumIdentifiant><ns2:Cle>78</ns2:Cle></ns2:IdIndividu><ns2:OID>1.2.250.1.213.1.4.8</ns2:OID></ns2:INSACTIF>
<ns2:TIQ><ns2:NomNaissance>ADRTROIS</ns2:NomNaissance><ns2:Prenom>DOMINIQUE</ns2:Prenom><ns2:Sexe>F</ns2:Sexe><ns2:DateNaissance>1997-02-26</ns2:DateNaissance><ns2:LieuNaissance>20020</ns2:LieuNaissance></ns2:TIQ></ns2:INDIVIDU></ns2:RESULTAT></S:Body></soap:Envelope>`;

export const RESULT_CR01 = `<soap:Envelope xmlns:soap="${SOAP}"><S:Body xmlns:S="${SOAP}">
<RESULTAT xmlns:ns3="http://www.cnamts.fr/INSiRecVit" xmlns:ns2="http://www.cnamts.fr/INSiRecSans" xmlns="http://www.cnamts.fr/INSiResultat">
<CR><CodeCR>01</CodeCR><LibelleCR>Aucune identite trouvee</LibelleCR></CR></RESULTAT></S:Body></soap:Envelope>`;

export const RESULT_CR02 = `<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="${SOAP}"><env:Body xmlns:S="${SOAP}" xmlns:env="${SOAP}"><RESULTAT xmlns="http://www.cnamts.fr/INSiResultat"><CR><CodeCR>02</CodeCR><LibelleCR>Plusieurs identites trouvees</LibelleCR></CR></RESULTAT></env:Body></soap:Envelope>`;

/** Unknown IDAM: soap: prefixes, subcode soap:siram_100, detail desir_550 echoing the MessageID. */
export function faultUnknownIdam(messageId: string): string {
  return `<soap:Envelope xmlns:soap="${SOAP}"><env:Body xmlns:env="${SOAP}"><soap:Fault>
<soap:Code><soap:Value>soap:Sender</soap:Value><soap:Subcode><soap:Value>soap:siram_100</soap:Value></soap:Subcode></soap:Code>
<soap:Reason><soap:Text xml:lang="fr">L&apos;accès par ce progiciel au service n&apos;est pas autorisé.</soap:Text></soap:Reason>
<soap:Detail><siram:Erreur code="desir_550" messageID="${messageId}" severite="erreur" xmlns:siram="urn:siram">Numéro d&apos;autorisation du logiciel inconnu.</siram:Erreur></soap:Detail>
</soap:Fault></env:Body></soap:Envelope>`;
}

/** Search back end error: S: prefixes, a stray SOAP 1.1 ns4 declaration, lang "en", severite "fatal". */
export function faultTechnical(messageId: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><S:Envelope xmlns:S="${SOAP}"><S:Body><S:Fault xmlns:ns4="http://schemas.xmlsoap.org/soap/envelope/">
<S:Code><S:Value>S:Receiver</S:Value><S:Subcode><S:Value>S:siram_40</S:Value></S:Subcode></S:Code>
<S:Reason><S:Text xml:lang="en">Le service est temporairement inaccessible.</S:Text></S:Reason>
<S:Detail><siram:Erreur xmlns:siram="urn:siram" code="insi_102" severite="fatal" messageID="${messageId}">L'appel au service de recherche avec les traits d'identité renvoie une erreur technique.</siram:Erreur></S:Detail>
</S:Fault></S:Body></S:Envelope>`;
}

export function faultUnavailable(messageId: string): string {
  return `<soap:Envelope xmlns:soap="${SOAP}"><soap:Body><soap:Fault><soap:Code><soap:Value>soap:Sender</soap:Value><soap:Subcode><soap:Value>soap:siram_40</soap:Value></soap:Subcode></soap:Code>
<soap:Reason><soap:Text xml:lang="fr">Le service est temporairement inaccessible.</soap:Text></soap:Reason>
<soap:Detail><siram:Erreur xmlns:siram="urn:siram" code="desir_1020" severite="fatale" messageID="${messageId}">Le service appelé est temporairement indisponible</siram:Erreur></soap:Detail></soap:Fault></soap:Body></soap:Envelope>`;
}
