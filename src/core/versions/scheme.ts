/**
 * One interface for every ecosystem's version ordering. Implementations must follow the reference tool
 * exactly (dpkg, apk-tools, rpm, PEP 440, Maven ComparableVersion, SemVer, ...). Lenient variants (pypi,
 * rubygemsLenient, nugetLenient, packagistLenient, apkLenient) also order what the strict grammar refuses, as the
 * ecosystem's tooling does, and treat only "" as invalid.
 */
export interface VersionScheme {
  /** OSV ecosystem name(s) this scheme serves, e.g. "Debian", "Alpine", "PyPI". */
  readonly name: string;
  /** Whether the string is a valid version in this scheme. */
  isValid(version: string): boolean;
  /** Negative, zero or positive like Array.prototype.sort. Throws PalisadeError("INPUT") on invalid input. */
  compare(a: string, b: string): number;
}
