export { createOracleSource, type OracleSourceOptions } from './oracle-source.js';
