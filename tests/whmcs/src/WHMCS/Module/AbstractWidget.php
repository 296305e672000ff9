<?php
/**
 * TEST STAND-IN for proprietary WHMCS: WHMCS\Module\AbstractWidget, the base class of admin
 * dashboard widgets, as WHMCS's developer documentation describes it ("Admin Dashboard
 * Widgets"): an `AdminHomeWidgets` hook returns an instance; WHMCS reads the protected
 * properties below through their getters, calls `getData()` (its result cached for
 * `$cacheExpiry` seconds when `$cache` is true) and shows what `generateOutput($data)` returns.
 * Simplification: the cache is kept in memory for the request; no per-user cache, permissions
 * or drag-and-drop layout.
 */

declare(strict_types=1);

namespace WHMCS\Module;

abstract class AbstractWidget
{
    protected $title = null;
    protected $description = null;
    protected $columns = 1;
    protected $weight = 100;
    protected $wrapper = true;
    protected $cache = false;
    protected $cacheExpiry = 3600;
    protected $cachePerUser = false;
    protected $requiredPermission = '';
    protected $draggable = true;

    /** @var array<string, array{expires: int, data: mixed}> */
    private static array $cached = [];

    /** @return mixed what generateOutput() is given */
    abstract public function getData();

    /** @param mixed $data what getData() returned */
    abstract public function generateOutput($data);

    /** The class's short name, as WHMCS uses it for the widget's element id. */
    public function getId(): string
    {
        $class = get_class($this);
        $short = substr($class, (int) strrpos('\\' . $class, '\\'));
        return str_replace('Widget', '', $short);
    }

    public function getTitle()
    {
        return $this->title;
    }

    public function getDescription()
    {
        return $this->description;
    }

    public function getColumnSize(): int
    {
        return (int) $this->columns;
    }

    public function getWeight(): int
    {
        return (int) $this->weight;
    }

    public function showWrapper(): bool
    {
        return (bool) $this->wrapper;
    }

    public function isCachable(): bool
    {
        return (bool) $this->cache;
    }

    public function isCachedPerUser(): bool
    {
        return (bool) $this->cachePerUser;
    }

    public function getCacheExpiry(): int
    {
        return (int) $this->cacheExpiry;
    }

    public function getRequiredPermission(): string
    {
        return (string) $this->requiredPermission;
    }

    public function isDraggable(): bool
    {
        return (bool) $this->draggable;
    }

    /** getData(), from the cache while it holds when the widget asks for caching. */
    public function fetchData(bool $forceRefresh = false)
    {
        $key = get_class($this);
        if ($this->isCachable() && !$forceRefresh && isset(self::$cached[$key]) && self::$cached[$key]['expires'] > time()) {
            return self::$cached[$key]['data'];
        }
        $data = $this->getData();
        if ($this->isCachable()) {
            self::$cached[$key] = ['expires' => time() + $this->getCacheExpiry(), 'data' => $data];
        }
        return $data;
    }

    /** What the dashboard shows of the widget. */
    public function render(bool $forceRefresh = false): string
    {
        return (string) $this->generateOutput($this->fetchData($forceRefresh));
    }
}
