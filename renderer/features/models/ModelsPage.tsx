/**
 * The models page, opened from the header like the settings page: installed models with where they
 * came from, import, downloads, Hub search and the catalog with this machine's fit. It reads the catalog, downloads and models when it
 * opens; downloads and the model list then follow main's events (onDownload, onModels).
 */
import { useEffect, useState } from 'react';
import { call } from '../../ipc/api';
import { setCatalog, setDownloads, setModels, setModelsOpen, useAppStore } from '../../stores/app-store';
import { useResourceStore } from '../../stores/resource-store';
import { Modal } from '../common/Modal';
import { CatalogSection } from './CatalogSection';
import { DownloadsSection } from './DownloadsSection';
import { HubSearch } from './HubSearch';
import { ImportField } from './ImportField';
import { InstalledSection } from './InstalledSection';

/** How often the fit is worked out again while the page is open: free memory moves. */
const FIT_REFRESH_MS = 10_000;

export function ModelsPage() {
  const models = useAppStore((s) => s.models);
  // The fit needs a resource sample; the first one may arrive after the page opened.
  const measured = useResourceStore((s) => s.snapshot !== null);
  const [loadError, setLoadError] = useState<string | null>(null);
  useEffect(() => {
    call('downloads:list', {}).then(setDownloads, (error: Error) => setLoadError(error.message));
    call('models:list', {}).then(setModels, () => {});
  }, []);
  // Installed flags and the fit follow the files there are and the machine's free memory.
  useEffect(() => {
    const load = () => call('catalog:list', {}).then(setCatalog, (error: Error) => setLoadError(error.message));
    void load();
    const timer = setInterval(() => void load(), FIT_REFRESH_MS);
    return () => clearInterval(timer);
  }, [models, measured]);
  return (
    <Modal
      id="models"
      title="Models"
      className="models-page"
      testId="models-page"
      footer="Every download is read at one commit and checked against the SHA-256 the Hub states before Mai offers it; downloads carry on after a restart."
      onClose={() => setModelsOpen(false)}
    >
      {loadError && (
        <p className="field-error left" role="alert">
          {loadError}
        </p>
      )}
      <InstalledSection />
      <ImportField />
      <DownloadsSection />
      <HubSearch />
      <CatalogSection />
    </Modal>
  );
}
