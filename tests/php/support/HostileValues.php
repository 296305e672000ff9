<?php
declare(strict_types=1);

namespace Katapult\Tests\Support;

/** An enum case is one more kind of value an argument can be. */
enum HostileSuit: string
{
    case Spades = 'spades';
}

/**
 * The hostile values HostileInputTest passes to every function and method of the extension, by
 * name. The test (parent) process only uses the names; the child process that makes the calls
 * builds each value once, on first use, and reuses it.
 */
final class HostileValues
{
    /** @var array<string, mixed> */
    private static array $built = [];

    /**
     * A smaller set, one of each kind, for the fields inside the arrays WHMCS passes (service
     * params, the client-area request), where every field of many functions is tried and a call
     * costs database and API round trips. Its big string is 1 MB: the 16 MB one (given to every
     * parameter in the full set) cost 170 ms a call there, a third of that run's time.
     */
    public const FIELD_SET = [
        'null', 'true', 'int -1', 'int 0', 'PHP_INT_MAX', 'PHP_INT_MIN', 'float 1.5', 'NAN', 'INF',
        'empty string', 'NUL bytes', 'invalid UTF-8', 'negative numeric string', 'huge numeric string',
        'injection string', '1 MB string', 'deep list (10000 levels)', 'odd keys', 'array of objects',
        'self-referencing array', 'closure', 'stdClass', 'Stringable', 'resource',
    ];

    /** @return list<string> every value's name, in a stable order */
    public static function names(): array
    {
        return array_keys(self::factories());
    }

    public static function get(string $name): mixed
    {
        if (!array_key_exists($name, self::$built)) {
            $factory = self::factories()[$name] ?? throw new \InvalidArgumentException("no hostile value `$name`");
            self::$built[$name] = $factory();
        }
        return self::$built[$name];
    }

    /** @return array<string, \Closure(): mixed> */
    private static function factories(): array
    {
        return [
            // Scalars.
            'null' => fn () => null,
            'true' => fn () => true,
            'false' => fn () => false,
            'int 0' => fn () => 0,
            'int -1' => fn () => -1,
            'PHP_INT_MAX' => fn () => PHP_INT_MAX,
            'PHP_INT_MIN' => fn () => PHP_INT_MIN,
            'float 1.5' => fn () => 1.5,
            'float -0.0' => fn () => -0.0,
            'float 1e308' => fn () => 1e308,
            'NAN' => fn () => NAN,
            'INF' => fn () => INF,
            '-INF' => fn () => -INF,
            // Strings.
            'empty string' => fn () => '',
            'string "0"' => fn () => '0',
            'whitespace' => fn () => " \t\r\n ",
            'NUL bytes' => fn () => "a\0b\0",
            'only NUL' => fn () => "\0",
            'invalid UTF-8' => fn () => "\xff\xfe\xfd",
            'truncated UTF-8' => fn () => "abc\xc3",
            'overlong UTF-8' => fn () => "\xc0\xaf",
            'UTF-16 surrogate in UTF-8' => fn () => "\xed\xa0\x80",
            'emoji and RTL override' => fn () => "\u{1F4A5}\u{202E}gnp.exe",
            'numeric string' => fn () => '123',
            'negative numeric string' => fn () => '-5',
            'huge numeric string' => fn () => '99999999999999999999999999',
            'float string' => fn () => '1e400',
            'injection string' => fn () => "%s%n%x {{x}} \${x} <script>alert(1)</script> '\"; DROP TABLE tblhosting; --\r\nX-Injected: 1",
            'path string' => fn () => '../../../../etc/passwd',
            'URL string' => fn () => 'file:///etc/passwd',
            '1 MB string' => fn () => str_repeat('a', 1 << 20),
            '16 MB string' => fn () => str_repeat('A', 16 << 20),
            '1 MB of NUL bytes' => fn () => str_repeat("\0", 1 << 20),
            '1 MB of invalid UTF-8' => fn () => str_repeat("\xff", 1 << 20),
            // Arrays.
            'empty array' => fn () => [],
            'list of null' => fn () => [null],
            'nested empty arrays' => fn () => [[[]]],
            'deep list (10000 levels)' => fn () => self::deep(10000, null),
            'deep map (10000 levels)' => fn () => self::deep(10000, 'k'),
            'wide list (100000 items)' => fn () => range(1, 100000),
            'wide map (100000 keys)' => fn () => array_fill_keys(array_map(fn (int $i) => "key$i", range(1, 100000)), 'v'),
            'odd keys' => fn () => [
                PHP_INT_MIN => 'min', -1 => 'minus one', PHP_INT_MAX => 'max', '' => 'empty',
                "\0" => 'nul', "\xff" => 'invalid UTF-8', ' 7' => 'padded', '0x1A' => 'hex', '1.5' => 'float',
                str_repeat('k', 1 << 20) => 'long key',
            ],
            'sparse list' => fn () => [5 => 'a', 2 => 'b', 9 => 'c'],
            'array of hostile scalars' => fn () => ['nan' => NAN, 'inf' => INF, 'bad' => "\xff", 'nul' => "a\0b", 'min' => PHP_INT_MIN, 'null' => null, 'bool' => false],
            'array of objects' => fn () => ['object' => new \stdClass(), 'closure' => fn () => 1, 'resource' => STDERR, 'enum' => HostileSuit::Spades],
            'self-referencing array' => function () {
                $array = ['a' => 1];
                $array['self'] = &$array;
                return $array;
            },
            'array of references' => function () {
                $shared = 'shared';
                return ['a' => &$shared, 'b' => &$shared];
            },
            'array with a 16 MB value' => fn () => ['serviceid' => 1, 'big' => str_repeat('B', 16 << 20)],
            // Objects and other types.
            'stdClass' => fn () => new \stdClass(),
            'stdClass with fields' => fn () => (object) ['serviceid' => 1, 'userid' => 1, 'pid' => 1],
            'closure' => fn () => fn () => 'called',
            'ArrayObject' => fn () => new \ArrayObject(['serviceid' => 1]),
            'Stringable' => fn () => new class () {
                public function __toString(): string
                {
                    return 'stringable';
                }
            },
            'throwing Stringable' => fn () => new class () {
                public function __toString(): string
                {
                    throw new \LogicException('__toString threw');
                }
            },
            'DateTimeImmutable' => fn () => new \DateTimeImmutable('@0'),
            'generator' => fn () => (function () {
                yield 1;
            })(),
            'enum case' => fn () => HostileSuit::Spades,
            'exception object' => fn () => new \RuntimeException('an exception as an argument'),
            'resource' => fn () => fopen('php://memory', 'r+'),
            'closed resource' => function () {
                $handle = fopen('php://memory', 'r');
                fclose($handle);
                return $handle;
            },
        ];
    }

    /** A list (or map, with $key) nested $levels deep. */
    private static function deep(int $levels, ?string $key): array
    {
        $array = [];
        for ($i = 0; $i < $levels; $i++) {
            $array = $key === null ? [$array] : [$key => $array];
        }
        return $array;
    }
}
