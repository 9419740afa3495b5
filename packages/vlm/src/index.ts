export {};
export * from "./tokenizer/index.js";
export * from "./data/index.js";
export * from "./image/index.js";
export * from "./model/index.js";
export * from "./loss/index.js";
export * from "./eval/index.js";
export * from "./train/index.js";
export * from "./report/index.js";
