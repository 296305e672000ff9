<?php
/**
 * TEST STAND-IN for proprietary WHMCS: `\WHMCS\Module\AbstractWidget`, the base class of admin
 * dashboard widgets (developers.whmcs.com: addon-modules/admin-dashboard-widgets, advanced/widgets,
 * classes/whmcs/module/abstractwidget).
 *
 * The documented interface: the protected properties a widget sets ($title, $description,
 * $weight, $columns 1-3, $cache, $cacheExpiry seconds, $cachePerUser, $requiredPermission,
 * $wrapper, $draggable) and the public methods getId() (the class name), getTitle(),
 * getDescription(), getColumnSize(), getWeight(), showWrapper(), isCachable(), isCachedPerUser(),
 * getCacheExpiry(), getRequiredPermission(), getData() and generateOutput($data) (the two a widget
 * overrides), sanitizeData($data), render($forceRefresh = false) and isDraggable(). A widget is
 * returned by an `AdminHomeWidgets` hook; the dashboard renders it (render()).
 * Simplification: no data cache (render() calls getData() every time; WHMCS keeps cachable data
 * for getCacheExpiry() seconds); the defaults of the properties are the stand-in's.
 */

namespace WHMCS\Module;

abstract class AbstractWidget
{
    protected $title = '';
    protected $description = '';
    protected $weight = 100;
    protected $columns = 1;
    protected $cache = false;
    protected $cacheExpiry = 3600;
    protected $cachePerUser = false;
    protected $requiredPermission = '';
    protected $wrapper = true;
    protected $draggable = true;

    public function getId()
    {
        return (new \ReflectionClass($this))->getShortName();
    }

    public function getTitle()
    {
        return $this->title;
    }

    public function getDescription()
    {
        return $this->description;
    }

    public function getColumnSize()
    {
        return (int) $this->columns;
    }

    public function getWeight()
    {
        return (int) $this->weight;
    }

    public function showWrapper()
    {
        return (bool) $this->wrapper;
    }

    public function isCachable()
    {
        return (bool) $this->cache;
    }

    public function isCachedPerUser()
    {
        return (bool) $this->cachePerUser;
    }

    public function getCacheExpiry()
    {
        return (int) $this->cacheExpiry;
    }

    public function getRequiredPermission()
    {
        return $this->requiredPermission;
    }

    /** A widget overrides this: what generateOutput() shows. */
    public function getData()
    {
        return [];
    }

    /** A widget overrides this: the widget's HTML from getData()'s data. */
    public function generateOutput($data)
    {
        return '';
    }

    public function sanitizeData($data)
    {
        return $data;
    }

    public function render($forceRefresh = false)
    {
        return (string) $this->generateOutput($this->sanitizeData($this->getData()));
    }

    public function isDraggable()
    {
        return (bool) $this->draggable;
    }
}
