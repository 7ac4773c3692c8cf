import { annuaireService } from './annuaire/service.js';
import type { SimulatorService } from './core/service.js';
import { dmpService } from './dmp/service.js';
import { echoService } from './echo/service.js';
import { eprescriptionService } from './eprescription/service.js';
import { insiService } from './insi/service.js';
import { mssanteService } from './mssante/service.js';
import { pscService } from './psc/service.js';
import { vitaleService } from './vitale/service.js';

/** Every simulator the host serves, in the order the README lists them. */
export const allServices: SimulatorService[] = [insiService, dmpService, mssanteService, annuaireService, eprescriptionService, pscService, vitaleService, echoService];
