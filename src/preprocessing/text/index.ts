export * from './decode';
export * from './normalize';
export * from './chunk';
export * from './stats';
