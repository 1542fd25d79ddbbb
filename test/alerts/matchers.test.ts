import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { AppError } from "../../src/core/errors.js";
import {
  MatcherParseError,
  compileMatchers,
  findContradiction,
  formatMatcher,
  impliesMatcher,
  literalAlternatives,
  matcherSchema,
  parseMatcher,
} from "../../src/alerts/matchers.js";
import type { Labels } from "../../src/alerts/model.js";

const m = (...texts: string[]) => texts.map(parseMatcher);
const matches = (texts: string[], labels: Labels): boolean => compileMatchers(m(...texts))(labels);

describe("parseMatcher", () => {
  test("the four operators, quoted and unquoted", () => {
    assert.deepEqual(parseMatcher('team="api"'), { name: "team", op: "=", value: "api" });
    assert.deepEqual(parseMatcher("team=api"), { name: "team", op: "=", value: "api" });
    assert.deepEqual(parseMatcher("team!=api"), { name: "team", op: "!=", value: "api" });
    assert.deepEqual(parseMatcher('team=~"api|web"'), { name: "team", op: "=~", value: "api|web" });
    assert.deepEqual(parseMatcher("team!~api|web"), { name: "team", op: "!~", value: "api|web" });
    assert.deepEqual(parseMatcher('team!="api"'), { name: "team", op: "!=", value: "api" });
  });

  test("whitespace around the parts is ignored; inside an unquoted value it is kept", () => {
    assert.deepEqual(parseMatcher('  team  =~  "api"  '), { name: "team", op: "=~", value: "api" });
    assert.deepEqual(parseMatcher("summary = disk full"), { name: "summary", op: "=", value: "disk full" });
    assert.deepEqual(parseMatcher('summary=" padded "'), { name: "summary", op: "=", value: " padded " });
  });

  test("label names: letters, digits and _, not starting with a digit", () => {
    assert.equal(parseMatcher("_private1=x").name, "_private1");
    assert.equal(parseMatcher("A_b9=x").name, "A_b9");
  });

  test("quoted values unescape \\\" \\\\ and \\n, and keep other backslashes for regexes", () => {
    assert.equal(parseMatcher('msg="say \\"hi\\""').value, 'say "hi"');
    assert.equal(parseMatcher('path="C:\\\\temp"').value, "C:\\temp");
    assert.equal(parseMatcher('msg="a\\nb"').value, "a\nb");
    assert.equal(parseMatcher('path=~"/api/\\d+"').value, "/api/\\d+");
    assert.equal(parseMatcher("path=~/api/\\d+").value, "/api/\\d+");
  });

  test("empty values: quoted or not", () => {
    assert.deepEqual(parseMatcher('team=""'), { name: "team", op: "=", value: "" });
    assert.deepEqual(parseMatcher("team="), { name: "team", op: "=", value: "" });
    assert.deepEqual(parseMatcher("team!="), { name: "team", op: "!=", value: "" });
  });

  const invalid: Array<[string, RegExp]> = [
    ["", /expected name="value"/],
    ["   ", /expected name="value"/],
    ['1team="api"', /starts with a label name/],
    ['="api"', /starts with a label name/],
    ['team-name="api"', /expected =, !=, =~ or !~ after label name "team"/],
    ["team", /expected =, !=, =~ or !~ after label name "team"/],
    ['team<"api"', /expected =, !=, =~ or !~/],
    ['team="api', /no closing quote/],
    ['team="api\\"', /no closing quote/],
    ['team="api"x', /unexpected text "x" after the closing quote/],
    ['team="a"b"', /unexpected text "b\\"" after the closing quote/],
    ['team=a"b', /unquoted value cannot contain "/],
    ["team==api", /unexpected "=" after the operator/],
    ["team!=~api", /unexpected "~" after the operator/],
    ['team=~"("', /the regex does not compile/],
    ['team!~"[a-"', /the regex does not compile/],
    // Would compile once wrapped in ^(?:...)$ but escape the anchoring: rejected.
    ['team=~"x)|(y"', /the regex does not compile/],
  ];
  for (const [text, reason] of invalid) {
    test(`rejects ${JSON.stringify(text)}`, () => {
      assert.throws(
        () => parseMatcher(text),
        (error: unknown) => {
          assert.ok(error instanceof MatcherParseError);
          assert.ok(error instanceof AppError);
          assert.equal(error.retryable, false);
          assert.equal(error.text, text);
          assert.match(error.message, new RegExp(`^invalid matcher ${escapeRegex(JSON.stringify(text))}: `));
          assert.match(error.message, reason);
          return true;
        },
      );
    });
  }

  test("a regex character in an = value is literal", () => {
    assert.deepEqual(parseMatcher('team="a|b"'), { name: "team", op: "=", value: "a|b" });
    assert.ok(matches(['team="a|b"'], { team: "a|b" }));
    assert.ok(!matches(['team="a|b"'], { team: "a" }));
  });
});

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

describe("matcherSchema", () => {
  test("parses the string form", () => {
    assert.deepEqual(matcherSchema.parse('severity=~"warning|critical"'), { name: "severity", op: "=~", value: "warning|critical" });
  });

  test("the issue message is the parse error", () => {
    const result = matcherSchema.safeParse('team=~"("');
    assert.equal(result.success, false);
    assert.equal(result.error?.issues.length, 1);
    assert.match(result.error?.issues[0]?.message ?? "", /^invalid matcher "team=~\\"\(\\"": the regex does not compile/);
  });

  test("non-strings are rejected", () => {
    assert.equal(matcherSchema.safeParse({ name: "team", op: "=", value: "api" }).success, false);
  });
});

describe("formatMatcher", () => {
  test("always quotes, escaping what needs it", () => {
    assert.equal(formatMatcher({ name: "team", op: "=", value: "api" }), 'team="api"');
    assert.equal(formatMatcher({ name: "team", op: "!~", value: "a|b" }), 'team!~"a|b"');
    assert.equal(formatMatcher({ name: "msg", op: "=", value: 'say "hi"\\\n' }), 'msg="say \\"hi\\"\\\\\\n"');
  });

  test("round-trips through parseMatcher", () => {
    for (const text of ['a="x"', "b!=y", 'c=~"\\d+\\.\\d+"', 'd!~"q\\"uote"', 'e="back\\\\slash"', 'f="line\\nbreak"', 'g=""']) {
      const matcher = parseMatcher(text);
      assert.deepEqual(parseMatcher(formatMatcher(matcher)), matcher, text);
    }
  });
});

describe("compileMatchers", () => {
  test("all matchers must hold; an empty list matches everything", () => {
    assert.ok(matches([], {}));
    assert.ok(matches(['team="api"', 'severity="critical"'], { team: "api", severity: "critical" }));
    assert.ok(!matches(['team="api"', 'severity="critical"'], { team: "api", severity: "warning" }));
  });

  test("regexes are anchored at both ends, alternations included", () => {
    assert.ok(matches(['team=~"api"'], { team: "api" }));
    assert.ok(!matches(['team=~"api"'], { team: "api-v2" }));
    assert.ok(!matches(['team=~"api"'], { team: "my-api" }));
    assert.ok(matches(['team=~"api|web"'], { team: "web" }));
    assert.ok(!matches(['team=~"api|web"'], { team: "apix" }));
    assert.ok(!matches(['team=~"api|web"'], { team: "xweb" }));
    assert.ok(matches(['team=~"api.*"'], { team: "api-v2" }));
    assert.ok(matches(['team!~"api|web"'], { team: "apix" }));
    assert.ok(!matches(['team!~"api|web"'], { team: "web" }));
  });

  test("backslash classes reach the regex", () => {
    assert.ok(matches(['path=~"/api/\\d+"'], { path: "/api/42" }));
    assert.ok(!matches(['path=~"/api/\\d+"'], { path: "/api/x" }));
  });

  test("a missing label reads as the empty string", () => {
    assert.ok(matches(['team!="api"'], {}));
    assert.ok(matches(['team=""'], {}));
    assert.ok(matches(['team=""'], { team: "" }));
    assert.ok(!matches(['team=""'], { team: "api" }));
    assert.ok(!matches(['team!=""'], {}));
    assert.ok(!matches(['team="api"'], {}));
    assert.ok(matches(['team=~".*"'], {}));
    assert.ok(!matches(['team=~".+"'], {}));
    assert.ok(matches(['team!~"api"'], {}));
    assert.ok(matches(['team=~"api|"'], {}));
  });

  test("only own labels count: inherited object properties are not labels", () => {
    assert.ok(matches(['constructor=""'], {}));
    assert.ok(!matches(['toString!=""'], {}));
    assert.ok(matches(['__proto__=""'], {}));
  });
});

describe("matcher analysis", () => {
  test("literalAlternatives finds finite value sets, and gives up on regex operators", () => {
    assert.deepEqual(literalAlternatives("api|web"), ["api", "web"]);
    assert.deepEqual(literalAlternatives("db1\\.example\\.com"), ["db1.example.com"]);
    assert.deepEqual(literalAlternatives(""), [""]);
    assert.deepEqual(literalAlternatives("api|"), ["api", ""]);
    assert.equal(literalAlternatives("api.*"), undefined);
    assert.equal(literalAlternatives("(api|web)"), undefined);
    assert.equal(literalAlternatives("\\d+"), undefined);
  });

  const contradictions: string[][] = [
    ['a="1"', 'a="2"'],
    ['a="1"', 'a!="1"'],
    ['a="1"', 'a=~"2|3"'],
    ['a="1"', 'a!~"1|2"'],
    ['a="1"', 'a=~"\\d{2}"'],
    ['a=~"1|2"', 'a=~"3|4"'],
    ['a=~"1|2"', 'a!="1"', 'a!="2"'],
    ['a=~"x.*"', 'a!~"x.*"'],
    ['a=""', 'a=~".+"'],
  ];
  for (const texts of contradictions) {
    test(`contradiction: ${texts.join(", ")}`, () => {
      const found = findContradiction(m('b="unrelated"', ...texts));
      assert.deepEqual(found, { name: "a", matchers: m(...texts) });
    });
  }

  const satisfiable: string[][] = [
    [],
    ['a="1"', 'b="2"'],
    ['a="1"', 'a!="2"'],
    ['a="1"', 'a=~"1|2"'],
    ['a=~"1|2"', 'a=~"2|3"'],
    ['a=~"x.*"', 'a!~"x.*y"'],
    // Not satisfiable, but outside what the finite-set analysis proves: it stays silent rather than guess.
    ['a=~"x.*"', 'a=~"y.*"'],
  ];
  for (const texts of satisfiable) {
    test(`no contradiction reported: ${texts.join(", ") || "(none)"}`, () => {
      assert.equal(findContradiction(m(...texts)), undefined);
    });
  }

  test("impliesMatcher: equal matchers, and finite value sets", () => {
    const [conclusion] = m('severity=~"warning|critical"');
    assert.ok(conclusion);
    assert.ok(impliesMatcher(m('severity="critical"'), conclusion));
    assert.ok(impliesMatcher(m('severity=~"warning|critical"'), conclusion));
    assert.ok(impliesMatcher(m('severity=~"critical|info"', 'severity!="info"'), conclusion));
    assert.ok(!impliesMatcher(m('severity=~"critical|info"'), conclusion));
    assert.ok(!impliesMatcher(m('severity=~"crit.*"'), conclusion));
    assert.ok(!impliesMatcher([], conclusion));
    assert.ok(impliesMatcher(m('team="api"'), parseMatcher('team!="web"')));
    assert.ok(impliesMatcher(m('team="api"'), parseMatcher('team!~"web|db"')));
    assert.ok(!impliesMatcher(m('team="api"'), parseMatcher('other="x"')));
  });
});
