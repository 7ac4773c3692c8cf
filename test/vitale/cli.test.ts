import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateWorld, type Patient, type VitaleCard } from '../../fixtures/index.js';
import { dataDirWithPki, runCli, spawnHost, stop, type HostProcess } from '../support/process.js';

let h: HostProcess;
let card: VitaleCard;
let child: Patient;

beforeAll(async () => {
  h = await spawnHost(['--data-dir', dataDirWithPki(), '--memory']);
  const world = generateWorld({ seed: 1 });
  card = world.vitaleCards.find((c) => c.beneficiaires.some((b) => b.qualite === '6'))!;
  child = world.patients.find((p) => p.id === card.beneficiaires.find((b) => b.qualite === '6')!.patientId)!;
});
afterAll(() => stop(h.child));

const cli = (...args: string[]) => runCli(['vitale', ...args, '--url', h.http]);

describe('segur-sim vitale', () => {
  it('present, show, remove', async () => {
    const present = await cli('present', child.ins!.matricule, '-s', 'cli');
    expect(present.stderr).toBe('');
    expect(present.code).toBe(0);
    expect(present.stdout).toContain(`carte Vitale ${card.serialNumber} (${card.id}) in the reader of sandbox cli`);
    expect(present.stdout).toContain(`NIR ${card.ouvrantDroit.matricule.slice(0, 13)} ${card.ouvrantDroit.matricule.slice(13)}`);
    for (const b of card.beneficiaires) expect(present.stdout).toMatch(new RegExp(`rang +${b.rang} +\\S+ +${b.nomUsuel} ${b.prenom}`));
    expect(present.stdout).toMatch(new RegExp(`→ rang +${child.vitale!.rang} +enfant`));

    const show = await cli('show', '-s', 'cli', '--json');
    expect(show.code).toBe(0);
    const info = JSON.parse(show.stdout) as { inserted: { cardId: string; kind: string }; card: { beneficiaires: { rang: number }[] } };
    expect(info.inserted).toMatchObject({ cardId: card.id, kind: 'carte' });
    expect(info.card.beneficiaires.map((b) => b.rang)).toEqual(card.beneficiaires.map((b) => b.rang));

    // Other sandboxes are untouched.
    expect((await cli('show')).stdout.trim()).toBe('the Vitale reader of sandbox default is empty');

    const apcv = await cli('present', child.id, '--apcv', '-s', 'cli');
    expect(apcv.stdout).toContain('ApCV (application carte Vitale)');

    const remove = await cli('remove', '-s', 'cli');
    expect(remove.code).toBe(0);
    expect(remove.stdout.trim()).toBe(`removed ApCV ${card.id} from the reader of sandbox cli`);
    expect((await cli('show', '-s', 'cli')).stdout.trim()).toBe('the Vitale reader of sandbox cli is empty');
  });

  it('explains failures in one line, with a non-zero exit', async () => {
    const unknown = await cli('present', 'nobody');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^segur-sim: no patient, INS matricule or carte Vitale "nobody"/);
    const empty = await cli('remove', '-s', 'cli-empty');
    expect(empty.code).toBe(2);
    expect(empty.stderr.trim()).toBe('segur-sim: no card in the reader of sandbox cli-empty');
    const missing = await runCli(['vitale', 'present', '--url', h.http]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain("missing required argument 'patient'");
  });
});
