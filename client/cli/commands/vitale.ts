import type { Command } from 'commander';
import { AdminClient } from '../../admin.js';
import { common, print, type Common } from './admin-commands.js';
import type { VitaleReaderInfo } from '../../vitale.js';

/** The reader's content as a person reads it: the card, its holder, every beneficiary with rang. */
export function describeReader(info: VitaleReaderInfo): string {
  const card = info.card;
  if (!card) return `the Vitale reader of sandbox ${info.sandbox} is empty`;
  const what = card.kind === 'apcv' ? 'ApCV (application carte Vitale)' : 'carte Vitale';
  const od = card.ouvrantDroit;
  const lines = [
    `${what} ${card.serialNumber} (${card.cardId}) in the reader of sandbox ${info.sandbox} since ${card.insertedAt}`,
    `ouvrant droit  ${od.nomUsuel} ${od.prenom}  NIR ${od.numIdentifiant} ${od.cle}`,
    `couverture     régime ${card.couverture.grandRegime}  caisse ${card.couverture.organisme}  centre ${card.couverture.codeCentre}  (synthetic)`,
    'beneficiaries:',
  ];
  const width = Math.max(...card.beneficiaires.map((b) => `${b.nomUsuel} ${b.prenom}`.length));
  for (const b of card.beneficiaires) {
    const marker = b.rang === card.presentedFor.rang ? '→' : ' ';
    const name = `${b.nomUsuel} ${b.prenom}`.padEnd(width);
    const twin = b.rangNaissance !== 1 ? `  rang de naissance ${b.rangNaissance}` : '';
    const nir = b.matriculeIndividu ? `  NIR ${b.matriculeIndividu.slice(0, 13)} ${b.matriculeIndividu.slice(13)}` : '';
    lines.push(`${marker} rang ${String(b.rang).padStart(2)}  ${(b.qualiteLibelle ?? b.qualite).padEnd(8)}  ${name}  né(e) ${b.dateNaissance}${twin}${nir}`);
  }
  lines.push(`(→ presented for ${card.presentedFor.patientId}, rang ${card.presentedFor.rang})`);
  return lines.join('\n');
}

/** `segur-sim vitale present|remove|show`: the virtual carte Vitale / ApCV reader of a sandbox. */
export function registerVitale(program: Command): void {
  const vitale = program
    .command('vitale')
    .description('the virtual carte Vitale / ApCV reader: present a card, show it, remove it')
    .addHelpText('after', '\nThe practice software reads the card at /_vitale/card and gets the Vitale assertion at POST /_vitale/assertion (see simulators/vitale/README.md).');

  common(
    vitale
      .command('present <patient>')
      .description('put in the reader the card holding this patient (patient id, INS matricule, card id or serial number; ouvrant droit or ayant droit)')
      .option('--apcv', 'present it as the ApCV smartphone application rather than the chip card'),
  ).action(async (patient: string, o: Common & { apcv?: boolean }) => {
    const info = await new AdminClient(o.url).vitalePresent(patient, { sandbox: o.sandbox, kind: o.apcv ? 'apcv' : 'carte' });
    print(o.json, info, () => describeReader(info));
  });

  common(vitale.command('show').description('what is in the reader')).action(async (o: Common) => {
    const info = await new AdminClient(o.url).vitale(o.sandbox);
    print(o.json, info, () => describeReader(info));
  });

  common(vitale.command('remove').description('take the card out of the reader')).action(async (o: Common) => {
    const result = await new AdminClient(o.url).vitaleRemove(o.sandbox);
    print(o.json, result, () => `removed ${result.removed.kind === 'apcv' ? 'ApCV' : 'carte Vitale'} ${result.removed.cardId} from the reader of sandbox ${result.sandbox}`);
  });
}
