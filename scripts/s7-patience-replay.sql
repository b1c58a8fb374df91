-- Keras EarlyStopping (monitor val_loss, min_delta 0) replayed on the epoch rows of an S7 folder run
-- without it: per patience and optimizer, how many curves would reach epoch 30 and which cells
-- would have none. ./lrbs results query results/s7-boxes "$(cat scripts/s7-patience-replay.sql)"
WITH e AS (
  SELECT t.trial_id, split_part(t.optimizer, ':', 1) AS opt, t.batch_size AS b, t.lr AS lr, t.seed,
    e.epoch, e.val_loss, t.epochs AS ran,
    min(e.val_loss) OVER (PARTITION BY t.trial_id ORDER BY e.epoch ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS best_before
  FROM trials t JOIN epochs e USING (trial_id) WHERE t.status IN ('ok','stopped_early')
), imp AS (
  SELECT *, CASE WHEN val_loss IS NOT NULL AND (best_before IS NULL OR val_loss < best_before) THEN epoch END AS imp_epoch FROM e
), w AS (
  SELECT *, epoch - coalesce(max(imp_epoch) OVER (PARTITION BY trial_id ORDER BY epoch ROWS UNBOUNDED PRECEDING), 0) AS wait FROM imp
), p AS (SELECT unnest([0,1,2,3,4,5,7,10]) AS patience),
stop AS (
  SELECT p.patience, w.trial_id, any_value(opt) AS opt, any_value(b) AS b, any_value(lr) AS lr, any_value(ran) AS ran,
    min(CASE WHEN wait >= greatest(p.patience,1) THEN epoch END) AS stop_epoch
  FROM w CROSS JOIN p GROUP BY p.patience, w.trial_id
), cell AS (
  SELECT patience, opt, b, lr, count(*) AS n,
    count(*) FILTER (WHERE coalesce(stop_epoch, ran) >= 30) AS reached30
  FROM stop GROUP BY patience, opt, b, lr
)
SELECT patience, opt, count(*) AS cells, sum(n) AS curves, sum(reached30) AS reached30,
  count(*) FILTER (WHERE reached30 = 0) AS cells_without_epoch30,
  list(b || '/' || lr ORDER BY b, lr) FILTER (WHERE reached30 = 0) AS which
FROM cell GROUP BY patience, opt ORDER BY opt DESC, patience;
