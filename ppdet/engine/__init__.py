"""Training, evaluation and inference engine. A map, in the order a run meets it:

    builders.py          config -> model, dataset + reader of a mode, metric; which
                         architectures exist (learned from what is registered)
    seed.py              seed_everything (programs), seeded_paddle (a block; state restored)
    trainer.py           Trainer: construction, weights (pretrained / trained / freeze),
                         _prepare (set-up, shared with dry_run), train(): epochs + _end_epoch
    loop.py              TrainRun (where a run stands), TrainStep (one optimisation step),
                         run_epoch (one epoch, non-finite loss refused)
    callbacks.py         Callback hooks; TrainLog (console line + metrics.jsonl), Snapshots
                         (epoch_N / model_final / best_model), CurvePlots, DurationForecast
    visualdl.py          VisualDLLog callback (optional visualdl package)
    evaluator.py         Evaluator: the one evaluation (tools/eval.py, --eval, demo);
                         evaluate_results_file (--json_eval)
    records.py, plots.py the run folder's files; loss.png / map.png
    progress.py          progress lines of long evaluations
    ema.py, batch.py, distributed.py   EMA weights; batch -> tensors; devices, data parallel
    trained_weights.py   trained checkpoints for eval / infer / export, and their classes
    default_class_names.py, class_lists/   COCO-80 / VOC-20 names when the annotation file
                         is missing (zoo configs with zoo weights)
    inference.py, visualize.py   predict on image files; draw; detections.json
    export.py                    static model export (its command line: ppdet/cli/export_model.py)
    demo.py              the README's demo: train (evaluating 4 times) -> draw

The command lines are `ppdet/cli/`. Nothing here names an architecture.
"""
