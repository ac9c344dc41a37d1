/**
 * @resdet/runtime — the tensor engine: which tfjs backend runs (and its order of preference), and the
 * kernels resdet registers where a backend lacks them. It owns no model code.
 */
export * from './backend';
