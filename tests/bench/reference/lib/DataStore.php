<?php
/**
 * The Salmon datastore as the incumbent uses it: mod_salmon_data_store_items,
 * values PHP serialize()d, the table's existence checked once per process before the first read
 * or write (Salmon's ensureItemsTableExists), read-then-write (no unique key). Every read is one
 * query (the incumbent's accessors are not memoised).
 */

declare(strict_types=1);

namespace WHMCS\Module\Server\Katapultref;

use WHMCS\Database\Capsule;

final class DataStore
{
    private const TABLE = 'mod_salmon_data_store_items';
    private static bool $checked = false;

    public static function read(string $relType, int|string $relId, string $key): mixed
    {
        self::ensureTable();
        $row = Capsule::table(self::TABLE)
            ->where('rel_type', $relType)->where('rel_id', self::relId($relId))->where('key', $key)
            ->first();
        return $row === null ? null : unserialize((string) $row->value);
    }

    /** As the incumbent's dataStoreWrite($key, $value, $valueIndex = null): value_index is always written. */
    public static function write(string $relType, int|string $relId, string $key, mixed $value, ?string $valueIndex = null): void
    {
        self::ensureTable();
        $where = ['rel_type' => $relType, 'rel_id' => self::relId($relId), 'key' => $key];
        $now = date('Y-m-d H:i:s');
        $row = ['value' => serialize($value), 'value_index' => $valueIndex, 'updated_at' => $now];
        if (Capsule::table(self::TABLE)->where($where)->exists()) {
            Capsule::table(self::TABLE)->where($where)->update($row);
        } else {
            Capsule::table(self::TABLE)->insert($where + $row + ['created_at' => $now]);
        }
    }

    private static function ensureTable(): void
    {
        if (!self::$checked) {
            Capsule::select('SELECT 1 FROM ' . self::TABLE . ' LIMIT 1');
            self::$checked = true;
        }
    }

    /** A string rel_id such as 'katapult' is 0 in the integer column. */
    private static function relId(int|string $relId): int
    {
        return is_int($relId) ? $relId : (is_numeric($relId) ? (int) $relId : 0);
    }
}
