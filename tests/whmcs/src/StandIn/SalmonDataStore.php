<?php
/**
 * TEST STAND-IN helper (not part of WHMCS): the incumbent module's Salmon datastore.
 *
 * The PHP module this project replaces (krystal/katapult-whmcs 2.0.4, via grizzlyware/salmon-whmcs)
 * keeps its state in `mod_salmon_data_store_items`. Tests of the switch-over
 * need that table as the incumbent leaves it; this helper creates it the way Salmon does (Laravel
 * schema builder: id bigIncrements; rel_type string index; rel_id unsignedBigInteger index; `key`
 * string index; value longText; value_index nullable string index; timestamps) and writes rows the
 * way Salmon's DataStore::set does: value PHP-serialize()d, value_index only when given (else NULL),
 * read-then-write (no unique constraint). A string rel_id such as 'katapult' is stored as Salmon
 * leaves it under MySQL's non-strict mode: 0.
 */

declare(strict_types=1);

namespace WhmcsStandIn;

use Illuminate\Database\Schema\Blueprint;
use WHMCS\Database\Capsule;

final class SalmonDataStore
{
    public const TABLE = 'mod_salmon_data_store_items';

    public static function ensureTable(): void
    {
        if (Capsule::schema()->hasTable(self::TABLE)) {
            return;
        }
        Capsule::schema()->create(self::TABLE, static function (Blueprint $t): void {
            $t->bigIncrements('id');
            $t->string('rel_type')->index();
            $t->unsignedBigInteger('rel_id')->index();
            $t->string('key')->index();
            $t->longText('value');
            $t->string('value_index')->nullable()->index();
            $t->timestamps();
        });
    }

    public static function set(string $relType, int|string $relId, string $key, mixed $value, ?string $valueIndex = null): void
    {
        self::ensureTable();
        $relId = is_int($relId) ? $relId : (int) (is_numeric($relId) ? $relId : 0);
        $now = date('Y-m-d H:i:s');
        $where = ['rel_type' => $relType, 'rel_id' => $relId, 'key' => $key];
        $row = ['value' => serialize($value), 'value_index' => $valueIndex, 'updated_at' => $now];
        if (Capsule::table(self::TABLE)->where($where)->exists()) {
            Capsule::table(self::TABLE)->where($where)->update($row);
        } else {
            Capsule::table(self::TABLE)->insert($where + $row + ['created_at' => $now]);
        }
    }

    public static function get(string $relType, int|string $relId, string $key): mixed
    {
        if (!Capsule::schema()->hasTable(self::TABLE)) {
            return null;
        }
        $relId = is_int($relId) ? $relId : (int) (is_numeric($relId) ? $relId : 0);
        $value = Capsule::table(self::TABLE)->where(['rel_type' => $relType, 'rel_id' => $relId, 'key' => $key])->value('value');
        return $value === null ? null : unserialize((string) $value);
    }
}
