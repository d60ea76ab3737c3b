/** re2js loaded with the module (the Node entry's choice): every regex compiles synchronously. See re2js-module.ts. */
import * as re2jsModule from 're2js';
import { useRe2js } from './re2js-module.js';

useRe2js(re2jsModule);
