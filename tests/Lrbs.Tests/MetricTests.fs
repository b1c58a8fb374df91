module Lrbs.Tests.MetricTests

open NUnit.Framework
open Lrbs.Tests.Support
open Lrbs.Core.Losses

[<Test>]
let ``accuracy counts argmax hits`` () =
    let probs = [| 0.1f; 0.9f; 0.8f; 0.2f; 0.3f; 0.7f |]
    Assert.That(Metrics.accuracy probs 2 [| 1; 0; 0 |], Is.EqualTo(2.0 / 3.0).Within(1e-12))

[<Test>]
let ``multi-label precision, recall, F1, support and exact match`` () =
    // 4 examples x 2 labels
    let probs = [| 0.9f; 0.1f; 0.8f; 0.7f; 0.2f; 0.6f; 0.4f; 0.3f |]
    let truth = [| 1.0f; 0.0f; 1.0f; 0.0f; 1.0f; 1.0f; 0.0f; 0.0f |]
    let reports, exact = Metrics.multiLabel probs truth 2
    // label 0: pred [1,1,0,0] truth [1,1,1,0] -> tp 2, fp 0, fn 1
    Assert.That(reports[0].Precision, Is.EqualTo 1.0)
    Assert.That(reports[0].Recall, Is.EqualTo(2.0 / 3.0).Within(1e-12))
    Assert.That(reports[0].F1, Is.EqualTo(0.8).Within(1e-12))
    Assert.That(reports[0].Support, Is.EqualTo 3)
    // label 1: pred [0,1,1,0] truth [0,0,1,0] -> tp 1, fp 1, fn 0
    Assert.That(reports[1].Precision, Is.EqualTo 0.5)
    Assert.That(reports[1].Recall, Is.EqualTo 1.0)
    Assert.That(reports[1].Support, Is.EqualTo 1)
    // all right: example 0 and 3
    Assert.That(exact, Is.EqualTo 0.5)

[<Test>]
let ``mean IoU averages per-box IoU`` () =
    let pred = [| 0.0f; 0.0f; 1.0f; 1.0f; 0.0f; 0.0f; 0.5f; 1.0f |]
    let truth = [| 0.0f; 0.0f; 1.0f; 1.0f; 0.5f; 0.0f; 1.0f; 1.0f |]
    Assert.That(Metrics.meanIoU pred truth, Is.EqualTo(0.5).Within(1e-6))
