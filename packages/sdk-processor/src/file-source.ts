/**
 * On Node, a policy source given as a string is a policy file (JSON or YAML,
 * watched for changes). Registered by the Node entry only, so that the
 * browser graph never reaches the file provider (node:fs).
 */
import { FilePolicyProvider } from '@otel-policy/providers';
import { useFileSource } from './policy-source.js';

useFileSource((path) => new FilePolicyProvider({ path }));
