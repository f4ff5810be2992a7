/** The fit badge and its sentence, the same wherever a model is offered (catalog, Hub, chat card). */
import type { CatalogItem } from '../../../shared/catalog';
import { fitLabel } from './model-text';

export function FitBadge({ fit }: { fit: CatalogItem['fit'] }) {
  return (
    <p className="catalog-fit">
      <span className={`fit-badge fit-${fit.kind}`} data-testid="fit-badge">
        {fitLabel(fit.kind)}
      </span>
      <span className="fit-detail" data-testid="fit-detail">
        {fit.detail}
      </span>
    </p>
  );
}
