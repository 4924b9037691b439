import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { OptionsError } from "../../../src/core/errors.js";
import { readTextCorpus, splitParagraphs } from "../../../src/data/datasets/text-corpus.js";
import { buildTextSamples, TEXT_SEQUENCE_LENGTH } from "../../../src/data/datasets/text-dataset.js";
import {
  decodeText,
  encodeText,
  TEXT_UNKNOWN_INDEX,
  TEXT_VOCABULARY,
  TEXT_VOCABULARY_SIZE,
} from "../../../src/data/datasets/text-vocabulary.js";
import { DataError } from "../../../src/data/errors.js";
import { tempDir } from "../../fixtures/data/builders.js";
import { generateText } from "../../fixtures/data/text.js";

describe("the text vocabulary", () => {
  it("is LEAF's 80 characters, unknown ones mapped to a space", () => {
    assert.equal(TEXT_VOCABULARY_SIZE, 80);
    assert.equal(new Set(TEXT_VOCABULARY).size, 80);
    assert.deepEqual([...encodeText("\n A}")], [0, 1, TEXT_VOCABULARY.indexOf("A"), 79]);
    assert.equal(decodeText(encodeText("Is this a dagger?")), "Is this a dagger?");
    assert.deepEqual([...encodeText("a\r\nb\tç")], [...encodeText("a\nb  ")]);
    assert.equal(encodeText("é")[0], TEXT_UNKNOWN_INDEX);
  });
});

describe("text corpora", () => {
  const { dir, cleanup } = tempDir();
  after(cleanup);

  it("splits one file into paragraphs and a directory into files", async () => {
    assert.deepEqual(splitParagraphs("a\nb\n\n\n  \nc\r\n\r\nd\n"), ["a\nb", "c", "d"]);
    const single = join(dir, "single");
    mkdirSync(single);
    writeFileSync(join(single, "play.txt"), "First.\nStill first.\n\nSecond.\n\n\nThird.");
    const p = await readTextCorpus(single);
    assert.equal(p.kind, "paragraph");
    assert.deepEqual(
      p.units.map((u) => [u.source, u.text]),
      [
        ["play.txt#1", "First.\nStill first."],
        ["play.txt#2", "Second."],
        ["play.txt#3", "Third."],
      ],
    );
    assert.deepEqual((await readTextCorpus(join(single, "play.txt"))).units, p.units);
    const many = join(dir, "many");
    mkdirSync(many);
    writeFileSync(join(many, "b.txt"), "bee");
    writeFileSync(join(many, "a.txt"), "ay");
    writeFileSync(join(many, "notes.md"), "ignored");
    const f = await readTextCorpus(many);
    assert.equal(f.kind, "file");
    assert.deepEqual(
      f.units.map((u) => u.source),
      ["a.txt", "b.txt"],
    );
  });

  it("names the path when there is nothing to read", async () => {
    await assert.rejects(readTextCorpus(join(dir, "absent")), DataError);
    const empty = join(dir, "empty");
    mkdirSync(empty);
    await assert.rejects(readTextCorpus(empty), /holds no \.txt file/);
  });
});

describe("buildTextSamples", () => {
  it("makes every 80-character window a sample whose label is the next character", () => {
    const text = generateText(1, 60);
    const corpus = { kind: "file" as const, units: [{ source: "t.txt", text }] };
    const s = buildTextSamples(corpus);
    const cut = Math.floor(text.length * 0.8);
    assert.equal(s.train.length, cut - TEXT_SEQUENCE_LENGTH);
    assert.equal(s.test.length, text.length - cut - TEXT_SEQUENCE_LENGTH);
    assert.deepEqual(s.train.sampleShape, [80]);
    assert.equal(s.train.numClasses, 80);
    const x = new Float32Array(80);
    for (const i of [0, 17, s.train.length - 1]) {
      s.train.readFeatures(i, x, 0);
      assert.equal(decodeText(x), text.slice(i, i + 80));
      assert.equal(TEXT_VOCABULARY[s.train.label(i)], text[i + 80]);
    }
    // Test windows lie in the last 20 %: no training label is a test feature.
    s.test.readFeatures(0, x, 0);
    assert.equal(decodeText(x), text.slice(cut, cut + 80));
  });

  it("gives each client contiguous units, and says when there are too few", () => {
    const units = Array.from({ length: 5 }, (_, i) => ({
      source: `u${i}`,
      text: generateText(10 + i, 30),
    }));
    const s = buildTextSamples({ kind: "paragraph", units }, 2);
    assert.equal(s.trainGroups.length, 2);
    // Client 0: units 0-1, client 1: units 2-4, joined by newlines.
    const client0 = `${units[0]?.text}\n${units[1]?.text}`;
    assert.equal(s.trainGroups[0]?.length, Math.floor(client0.length * 0.8) - 80);
    const total = s.trainGroups.reduce((n, g) => n + g.length, 0);
    assert.equal(total, s.train.length);
    assert.throws(
      () => buildTextSamples({ kind: "paragraph", units }, 6),
      (e: unknown) => e instanceof OptionsError && e.option === "--clients",
    );
    const short = [{ source: "s", text: "Too short." }];
    assert.throws(() => buildTextSamples({ kind: "file", units: short }, 1), DataError);
  });
});
