// --anonymize-paths: home directories and user names replaced consistently
// within one file (/home/alice → /home/user1, USER=alice → USER=user1). A
// name is learned from a home directory path (/home/NAME, /Users/NAME,
// /var/home/NAME) or from USER, LOGNAME, SUDO_USER, and then replaced
// wherever it stands as a word. root keeps its name: it identifies nobody.

const HOME = /(\/(?:home|Users|var\/home))\/([^/\0\s'"`:;,]+)/g;
const NAME_VARS = new Set(['USER', 'LOGNAME', 'SUDO_USER', 'USERNAME']);
const NOT_USERS = new Set(['root', 'user', 'users', 'home', 'shared', 'nobody']);
/** Names this short are too likely to be part of ordinary words to replace on their own. */
const MIN_BARE = 3;

export class PathAnonymizer {
  #names = new Map<string, string>();
  #homes = 0;
  #bare = 0;
  #bareRe: RegExp | null = null;

  #alias(name: string): string {
    let a = this.#names.get(name);
    if (a === undefined) {
      a = `user${this.#names.size + 1}`;
      this.#names.set(name, a);
      this.#bareRe = null;
    }
    return a;
  }

  /** A user name from the environment (USER=alice): learned before the value is replaced. */
  learnFromEnv(name: string, value: string): void {
    if (NAME_VARS.has(name) && value && !NOT_USERS.has(value) && !value.includes('/')) this.#alias(value);
  }

  text(s: string): string {
    let out = s.replace(HOME, (_m, dir: string, name: string) => {
      if (NOT_USERS.has(name) || /^user\d+$/.test(name)) return `${dir}/${name}`;
      this.#homes++;
      return `${dir}/${this.#alias(name)}`;
    });
    const re = this.#bareWords();
    if (re)
      out = out.replace(re, (m) => {
        this.#bare++;
        return this.#names.get(m) ?? m;
      });
    return out;
  }

  #bareWords(): RegExp | null {
    if (this.#bareRe === null) {
      const names = [...this.#names.keys()].filter((n) => n.length >= MIN_BARE).sort((a, b) => b.length - a.length);
      if (names.length === 0) return null;
      const alt = names.map((n) => n.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|');
      this.#bareRe = new RegExp(`(?<![\\p{L}\\p{N}_.-])(?:${alt})(?![\\p{L}\\p{N}_-])`, 'gu');
    }
    return this.#bareRe;
  }

  /** Replacements made, as rule ids. */
  counts(): [string, number][] {
    return [
      ['home-directory', this.#homes],
      ['user-name', this.#bare],
    ];
  }
}
