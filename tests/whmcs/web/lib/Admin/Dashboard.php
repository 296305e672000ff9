<?php
/**
 * TEST STAND-IN for proprietary WHMCS: the admin dashboard (`/admin/index.php`) and its widgets.
 *
 * Mirrors WHMCS's documented widget interface (developers.whmcs.com addon-modules/
 * admin-dashboard-widgets): every `AdminHomeWidgets` hook returns a `\WHMCS\Module\AbstractWidget`
 * (anything else is ignored); the widgets are shown by ascending getWeight(), each spanning
 * getColumnSize() of three columns, inside a panel titled getTitle() unless showWrapper() is
 * false, with the HTML of render(); a widget whose getRequiredPermission() the admin lacks is
 * left out. A widget that throws is shown as an error in its panel (and logged), never a broken
 * page.
 * Simplifications: WHMCS's own widgets (billing, support, …) are not there; no drag and drop, no
 * per-admin hiding, no refresh button; every admin (role 1) has every permission.
 */

declare(strict_types=1);

namespace WhmcsStandIn\Web\Admin;

use WHMCS\Module\AbstractWidget;
use WhmcsStandIn\Hooks;
use WhmcsStandIn\Web\Theme;

final class Dashboard
{
    public static function handle(): void
    {
        $admin = AdminArea::requireAdmin();
        if ($admin === null) {
            return;
        }
        $widgets = array_values(array_filter(Hooks::run('AdminHomeWidgets', []), static fn ($w) => $w instanceof AbstractWidget));
        usort($widgets, static fn (AbstractWidget $a, AbstractWidget $b) => $a->getWeight() <=> $b->getWeight());
        $panels = '';
        foreach ($widgets as $widget) {
            if ((int) $admin->roleid !== 1 && $widget->getRequiredPermission() !== '') {
                continue;
            }
            $panels .= self::panel($widget);
        }
        if ($panels === '') {
            $panels = '<div class="col-12"><p class="text-muted" id="noWidgets">No widgets.</p></div>';
        }
        echo AdminArea::page('Dashboard', '<div class="row" id="widgets">' . $panels . '</div>', $admin, 'dashboard');
    }

    private static function panel(AbstractWidget $widget): string
    {
        try {
            $body = $widget->render();
        } catch (\Throwable $e) {
            error_log('[whmcs stand-in] widget ' . get_class($widget) . ' threw: ' . $e);
            $body = Theme::alert('error', 'This widget could not be shown: ' . Theme::e($e->getMessage()));
        }
        $columns = max(1, min(3, $widget->getColumnSize())) * 4;
        $id = Theme::e($widget->getId());
        if (!$widget->showWrapper()) {
            return "<div class=\"col-lg-$columns mb-4 widget\" data-widget=\"$id\">$body</div>";
        }
        $title = Theme::e($widget->getTitle());
        return "<div class=\"col-lg-$columns mb-4\"><div class=\"card widget\" id=\"panel$id\" data-widget=\"$id\">"
            . "<div class=\"card-header\"><h3 class=\"h6 m-0 widget-title\">$title</h3></div>"
            . "<div class=\"card-body widget-body\">$body</div></div></div>";
    }
}
