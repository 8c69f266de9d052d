/** A JSON Schema as it travels: an object we hand to Ajv and to MCP clients unchanged. */
export type JSONSchema7 = { [key: string]: unknown };
