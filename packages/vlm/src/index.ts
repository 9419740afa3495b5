export {};
export * from "./tokenizer/index.js";
export * from "./data/index.js";
export * from "./image/index.js";
