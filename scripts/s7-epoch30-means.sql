-- Per optimizer, over the cells of an S7 folder with early stopping: curves, how many stopped before
-- epoch 30, and the cells' mean validation loss at every curve's last epoch against at epoch 30
-- over the curves that reached it (d_vl: their mean difference per cell).
-- ./lrbs results query results/s7-boxes-early-stopping "$(cat scripts/s7-epoch30-means.sql)"
WITH es AS (
  SELECT t.trial_id, split_part(t.optimizer,':',1) o, t.batch_size b, t.lr, t.seed, t.status, t.epochs,
         e.train_loss tl, e.val_loss vl, e.epoch
  FROM trials t JOIN epochs e USING (trial_id)
  WHERE e.epoch = t.epochs AND t.status IN ('ok','stopped_early')
), cell AS (
  SELECT o, b, lr, count(*) n, count(*) FILTER (WHERE epochs < 30) stopped,
    avg(vl) vl_last, avg(vl) FILTER (WHERE epochs = 30) vl_30, avg(tl) FILTER (WHERE epochs = 30) tl_30, avg(tl) tl_last,
    avg(epochs) ep
  FROM es GROUP BY 1,2,3
)
SELECT o, count(*) cells, sum(n) curves, sum(stopped) stopped, round(avg(ep),1) mean_epochs,
  round(avg(vl_last),4) vl_last_mean, round(avg(vl_30),4) vl_30_mean, round(avg(tl_last),4) tl_last_mean, round(avg(tl_30),4) tl_30_mean,
  count(*) FILTER (WHERE vl_30 IS NULL) cells_without_30,
  round(avg(vl_30 - vl_last) FILTER (WHERE vl_30 IS NOT NULL),4) d_vl
FROM cell GROUP BY 1 ORDER BY 1 DESC
