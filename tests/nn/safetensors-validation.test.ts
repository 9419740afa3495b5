/**
 * The safetensors reader refuses bad files before using them, each with an error that
 * names the op, the tensor, what was expected and what came. Files are built by hand.
 */

import { describe, expect, it } from "vitest";
import { openSafetensors, parseSafetensors, SafetensorsError, SAFETENSORS_MAX_HEADER_BYTES } from "../../packages/nn/src/index.js";
import { expectSafetensorsError, flatValues, stFile } from "./safetensors-helpers.js";

const u8 = (name = "a", begin = 0, end = 1, shape = [end - begin]) => ({ [name]: { dtype: "U8", shape, data_offsets: [begin, end] } });
const parse = (bytes: Uint8Array) => () => parseSafetensors(bytes);

describe("the length field", () => {
  it("a file shorter than 8 bytes", () => {
    for (let n = 0; n < 8; n++) expectSafetensorsError(parse(new Uint8Array(n)), `file is ${n} bytes, shorter than the 8-byte header length`);
  });

  it("a header length above 100 MB, up to 2^64 - 1, without allocating it", () => {
    expectSafetensorsError(parse(stFile("{}", 0, { length: BigInt(SAFETENSORS_MAX_HEADER_BYTES + 1) })), "header length 100000001 is larger than the 100000000-byte limit");
    expectSafetensorsError(parse(stFile("{}", 0, { length: 2n ** 64n - 1n })), "header length 18446744073709551615 is larger");
    expectSafetensorsError(parse(stFile("{}", 0, { length: 2n ** 32n })), "header length 4294967296 is larger");
  });

  it("a header length beyond the end of the file", () => {
    expectSafetensorsError(parse(stFile("{}", 0, { length: 3n })), "header length 3 runs past the end of the file: the file is 10 bytes, so at most 2");
  });
});

describe("the header text", () => {
  it("must be UTF-8", () => {
    const bytes = stFile('{"a":1}');
    bytes[10] = 0xff;
    expectSafetensorsError(parse(bytes), "header (7 bytes) is not valid UTF-8");
  });

  it("must be JSON", () => {
    for (const [text, hint] of [
      ["", "expected a value at character 0, found the end of the header"],
      ["{", "expected a string key"],
      ['{"a":1,}', "expected a string key at character 7"],
      ["{'a':1}", "expected a string key"],
      ['{"a":NaN}', "expected a value"],
      ['{"a":01}', "expected ',' or '}'"],
      ['{"a":"\u0001"}', "control character in string"],
      ['{"a":"\\x"}', "invalid escape sequence in string at character 5"],
      ['{"a":"\\u12"}', "invalid escape sequence"],
      ['{"a":"\\', "unterminated string"],
      ['{"a":"\\ud800"}', "unpaired surrogate"],
      ['{"a":"\\udc00\\ud800"}', "unpaired surrogate"],
      ["{} {}", "unexpected text after the JSON value"],
      ["\uFEFF{}", "expected a value"],
      ['{"a":tru}', "unexpected token"],
    ] as const) {
      expectSafetensorsError(parse(stFile(text)), "header is not valid JSON", hint);
    }
  });

  it("must be an object", () => {
    for (const [text, what] of [
      ["[]", "an array of 0"],
      ['"x"', 'the string "x"'],
      ["1", "the number 1"],
      ["null", "null"],
      ["true", "true"],
    ]) {
      expectSafetensorsError(parse(stFile(text!)), `header must be a JSON object, got ${what}`);
    }
  });

  it("may be padded with spaces (and other JSON whitespace), as the reference accepts", () => {
    const t = parseSafetensors(stFile(`  ${JSON.stringify(u8())}  \n\t `, [7])).tensors.get("a")!;
    expect(flatValues(t)).toEqual([7]);
  });

  it("refuses absurd nesting with an error, not a stack overflow", () => {
    expectSafetensorsError(parse(stFile(`{"a":${"[".repeat(100_000)}`)), "nesting deeper than 32 levels");
  });
});

describe("duplicates", () => {
  it("a tensor name given twice (JSON.parse would silently keep the second)", () => {
    const text = '{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}';
    expectSafetensorsError(parse(stFile(text, 4)), 'duplicate key "a" in the header', "forbids duplicates");
  });

  it("even when one spelling is escaped", () => {
    const text = '{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"\\u0061":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}';
    expectSafetensorsError(parse(stFile(text, 1)), 'duplicate key "a"');
  });

  it("a field inside an entry, or a metadata key", () => {
    expectSafetensorsError(parse(stFile('{"a":{"dtype":"U8","dtype":"F32","shape":[1],"data_offsets":[0,1]}}', 1)), 'duplicate key "dtype" in "a"');
    expectSafetensorsError(parse(stFile('{"__metadata__":{"k":"1","k":"2"}}')), 'duplicate key "k" in "__metadata__"');
  });
});

describe("metadata", () => {
  it("values must be strings; the object must be an object", () => {
    expectSafetensorsError(parse(stFile({ __metadata__: { k: 1 } })), '"__metadata__" values must be strings, but "k" is the number 1');
    expectSafetensorsError(parse(stFile({ __metadata__: { k: ["x"] } })), '"k" is an array of 1');
    expectSafetensorsError(parse(stFile({ __metadata__: [] })), '"__metadata__" must be an object of strings, got an array of 0');
  });

  it("null means none, as the reference reads it", () => {
    expect(parseSafetensors(stFile({ __metadata__: null })).metadata).toEqual({});
  });
});

describe("entries", () => {
  it("must be objects with dtype, shape and data_offsets", () => {
    expectSafetensorsError(parse(stFile({ a: 1 })), 'tensor "a": expected an object {dtype, shape, data_offsets}, got the number 1');
    expectSafetensorsError(parse(stFile({ a: { shape: [1], data_offsets: [0, 1] } }, 1)), 'tensor "a": missing field "dtype"');
    expectSafetensorsError(parse(stFile({ a: { dtype: "U8", data_offsets: [0, 1] } }, 1)), 'missing field "shape"');
    expectSafetensorsError(parse(stFile({ a: { dtype: "U8", shape: [1] } }, 1)), 'missing field "data_offsets"');
  });

  it("ignore unknown extra fields, as the reference does", () => {
    expect(parseSafetensors(stFile({ a: { dtype: "U8", shape: [1], data_offsets: [0, 1], extra: true } }, [9])).tensors.get("a")!.item()).toBe(9);
  });

  it("dtype must be a known string", () => {
    expectSafetensorsError(parse(stFile({ a: { dtype: 3, shape: [1], data_offsets: [0, 1] } }, 1)), '"dtype" must be a string, got the number 3');
    expectSafetensorsError(parse(stFile({ a: { dtype: "Q8", shape: [1], data_offsets: [0, 1] } }, 1)), 'unknown dtype "Q8"', "BOOL, F4");
    expectSafetensorsError(parse(stFile({ a: { dtype: "f32", shape: [1], data_offsets: [0, 4] } }, 4)), 'unknown dtype "f32"');
  });

  it("shape must be a list of non-negative integers a double holds exactly", () => {
    const entry = (shape: unknown) => stFile(`{"a":{"dtype":"U8","shape":${typeof shape === "string" ? shape : JSON.stringify(shape)},"data_offsets":[0,1]}}`, 1);
    expectSafetensorsError(parse(entry(1)), '"shape" must be an array of dimensions, got the number 1');
    expectSafetensorsError(parse(entry([-1])), "dimension 0 is the number -1");
    expectSafetensorsError(parse(entry([1, 1.5])), "dimension 1 is the number 1.5");
    expectSafetensorsError(parse(entry("[1.0]")), "dimension 0 is the number 1.0");
    expectSafetensorsError(parse(entry("[1e0]")), "dimension 0 is the number 1e0");
    expectSafetensorsError(parse(entry(["1"])), 'dimension 0 is the string "1"');
    expectSafetensorsError(parse(entry("[9007199254740993]")), "dimension 0 is the number 9007199254740993");
    expectSafetensorsError(parse(entry([null])), "dimension 0 is null");
  });

  it("shape × dtype size must equal the span", () => {
    expectSafetensorsError(parse(stFile({ w: { dtype: "F32", shape: [2, 3], data_offsets: [0, 20] } }, 20)), 'tensor "w": shape [2,3] × F32 (4 bytes each) needs 24 bytes, but data_offsets [0, 20] span 20');
    expectSafetensorsError(parse(stFile({ w: { dtype: "F32", shape: [], data_offsets: [0, 0] } })), "shape [] × F32 (4 bytes each) needs 4 bytes");
  });

  it("shapes too large to count are refused without overflow", () => {
    expectSafetensorsError(parse(stFile({ w: { dtype: "F32", shape: [2 ** 26, 2 ** 26, 2 ** 26], data_offsets: [0, 4] } }, 4)), "more elements than can be counted exactly");
    expectSafetensorsError(parse(stFile({ w: { dtype: "F64", shape: [2 ** 49, 8], data_offsets: [0, 8] } }, 8)), "too large to address");
    // a zero anywhere makes an empty tensor, however large the other dims
    expect(parseSafetensors(stFile({ w: { dtype: "F32", shape: [0, 2 ** 52], data_offsets: [0, 0] } })).tensors.get("w")!.shape).toEqual([0, 2 ** 52]);
  });

  it("sub-byte dtypes must fill whole bytes", () => {
    expectSafetensorsError(parse(stFile({ w: { dtype: "F4", shape: [3], data_offsets: [0, 2] } }, 2)), "F4 (4 bits each) does not fill a whole number of bytes");
  });

  it("data_offsets must be two ordered non-negative integers inside the data section", () => {
    const entry = (offsets: string, data = 4) => stFile(`{"a":{"dtype":"U8","shape":[1],"data_offsets":${offsets}}}`, data);
    expectSafetensorsError(parse(entry('"0,1"')), '"data_offsets" must be [begin, end], got the string "0,1"');
    expectSafetensorsError(parse(entry("[0]")), "got an array of 1");
    expectSafetensorsError(parse(entry("[0,1,2]")), "got an array of 3");
    expectSafetensorsError(parse(entry("[-1,0]")), "must hold two non-negative integers, got [the number -1, the number 0]");
    expectSafetensorsError(parse(entry("[0,1.0]")), "got [the number 0, the number 1.0]");
    expectSafetensorsError(parse(entry("[0,18446744073709551617]")), "the number 18446744073709551617");
    expectSafetensorsError(parse(entry("[2,1]")), '"data_offsets" [2, 1] begin after they end');
    expectSafetensorsError(parse(entry("[4,5]")), "data_offsets [4, 5] run past the end of the data section, which is 4 bytes");
  });
});

describe("the spans", () => {
  it("must not overlap", () => {
    const header = { ...u8("a", 0, 2), ...u8("b", 1, 3) };
    expectSafetensorsError(parse(stFile(header, 3)), 'tensor "b": data_offsets [1, 3] overlap tensor "a" at [0, 2]');
    expectSafetensorsError(parse(stFile({ ...u8("a", 0, 2), ...u8("b", 0, 2) }, 2)), "overlap");
    // an empty tensor inside another's span is refused too, as the reference does
    expectSafetensorsError(parse(stFile({ ...u8("a", 0, 2), ...u8("e", 1, 1) }, 2)), 'tensor "e"', "overlap");
  });

  it("must leave no hole (the reference forbids unindexed bytes)", () => {
    expectSafetensorsError(parse(stFile(u8("a", 1, 2), 2)), 'tensor "a": data_offsets [1, 2] leave bytes [0, 1) of the data section unused');
    expectSafetensorsError(parse(stFile({ ...u8("a", 0, 1), ...u8("b", 2, 3) }, 3)), "leave bytes [1, 2)");
  });

  it("must reach the end of the file", () => {
    expectSafetensorsError(parse(stFile(u8("a", 0, 1), 3)), "the data section is 3 bytes but the tensors cover only the first 1");
    expectSafetensorsError(parse(stFile({}, 1)), "the data section is 1 bytes but the tensors cover only the first 0");
  });

  it("may come in any order in the header, and empty tensors may sit at a boundary", () => {
    const header = { ...u8("b", 2, 3), ...u8("e", 2, 2), ...u8("a", 0, 2) };
    const { tensors } = parseSafetensors(stFile(header, [1, 2, 3]));
    expect([...tensors.keys()]).toEqual(["b", "e", "a"]);
    expect(flatValues(tensors.get("a")!)).toEqual([1, 2]);
    expect(flatValues(tensors.get("b")!)).toEqual([3]);
  });
});

describe("decoding", () => {
  const i64 = (values: bigint[]) => {
    const data = new Uint8Array(8 * values.length);
    values.forEach((v, i) => new DataView(data.buffer).setBigInt64(8 * i, v, true));
    return stFile({ ids: { dtype: "I64", shape: [values.length], data_offsets: [0, data.length] } }, data);
  };

  it("I64 values outside int32 are an error naming the value, unless read as a float", () => {
    expectSafetensorsError(parse(i64([1n, 2n ** 31n])), 'tensor "ids": I64 value 2147483648 at flat index 1 does not fit in int32');
    expectSafetensorsError(parse(i64([-(2n ** 31n) - 1n])), "I64 value -2147483649 at flat index 0");
    expect(flatValues(parseSafetensors(i64([-(2n ** 31n), 2n ** 31n - 1n])).tensors.get("ids")!)).toEqual([-(2 ** 31), 2 ** 31 - 1]);
    const wide = parseSafetensors(i64([2n ** 40n + 1n, -(2n ** 53n), 2n ** 63n - 1n]), { dtypes: { ids: "float64" } }).tensors.get("ids")!;
    expect(flatValues(wide)).toEqual([2 ** 40 + 1, -(2 ** 53), 2 ** 63]);
  });

  it("U32 and U64 values above int32 are refused too; small unsigned and signed types read as int32", () => {
    const u32 = new Uint8Array([255, 255, 255, 255]);
    expectSafetensorsError(parse(stFile({ u: { dtype: "U32", shape: [1], data_offsets: [0, 4] } }, u32)), "U32 value 4294967295");
    const u64 = new Uint8Array([1, 0, 0, 0, 1, 0, 0, 0]);
    expectSafetensorsError(parse(stFile({ u: { dtype: "U64", shape: [1], data_offsets: [0, 8] } }, u64)), "U64 value 4294967297");
    const small = stFile(
      {
        b: { dtype: "BOOL", shape: [3], data_offsets: [0, 3] },
        u8: { dtype: "U8", shape: [2], data_offsets: [3, 5] },
        i8: { dtype: "I8", shape: [2], data_offsets: [5, 7] },
        i16: { dtype: "I16", shape: [1], data_offsets: [7, 9] },
        u16: { dtype: "U16", shape: [1], data_offsets: [9, 11] },
      },
      [0, 2, 1, 255, 0, 255, 128, 0, 128, 0, 128],
    );
    const t = parseSafetensors(small).tensors;
    expect(flatValues(t.get("b")!)).toEqual([0, 1, 1]);
    expect(flatValues(t.get("u8")!)).toEqual([255, 0]);
    expect(flatValues(t.get("i8")!)).toEqual([-1, -128]);
    expect(flatValues(t.get("i16")!)).toEqual([-32768]);
    expect(flatValues(t.get("u16")!)).toEqual([32768]);
  });

  it("dtypes Duet cannot decode pass the header check but are refused when read, by name", () => {
    const bytes = stFile({ f8: { dtype: "F8_E4M3", shape: [2], data_offsets: [0, 2] }, u: { dtype: "U8", shape: [1], data_offsets: [2, 3] } }, 3);
    const reader = openSafetensors(bytes);
    expect(reader.tensor("u").item()).toBe(0);
    expectSafetensorsError(() => reader.tensor("f8"), 'tensor "f8": dtype F8_E4M3 is valid safetensors but Duet cannot read it', "F64, F32, F16, BF16");
    expectSafetensorsError(parse(bytes), "F8_E4M3");
    expectSafetensorsError(parse(stFile({ c: { dtype: "C64", shape: [1], data_offsets: [0, 8] } }, 8)), "C64 is valid safetensors but Duet cannot read it");
  });
});

it("reads bytes held in shared memory", () => {
  const file = stFile(u8(), [5]);
  const shared = new Uint8Array(new SharedArrayBuffer(file.length));
  shared.set(file);
  expect(parseSafetensors(shared).tensors.get("a")!.item()).toBe(5);
});

it("a megabyte-long tensor name is clipped in the message but kept on the error", () => {
  const name = "x".repeat(1_000_000);
  const error = expectSafetensorsError(parse(stFile({ [name]: 1 })), `tensor "${"x".repeat(200)}...": expected an object`);
  expect(error.message.length).toBeLessThan(400);
  expect(error.tensor).toBe(name);
});

it("errors name the file when one is given, and are SafetensorsErrors (TensorErrors)", () => {
  const error = expectSafetensorsError(() => parseSafetensors(stFile(u8("w", 0, 2, [1]), 2), { source: "model.safetensors" }), 'parseSafetensors: model.safetensors: tensor "w": shape [1] × U8');
  expect(error).toBeInstanceOf(SafetensorsError);
  expect(error.name).toBe("SafetensorsError");
  expect(error.source).toBe("model.safetensors");
  expect(error.tensor).toBe("w");
});
