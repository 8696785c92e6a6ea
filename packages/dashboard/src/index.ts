export { DASHBOARD_DIST, DASHBOARD_PATH, dashboardAssets, serveDashboard } from './assets.js';
export type { DashboardAsset, DashboardAssets } from './assets.js';
