"""Topology of loss landscapes: graphs, merge trees, persistence pairs and landscape profiles.

    graph = grid_graph(loss.shape, "ttk")            # or knn_graph(points, k=8)
    tree = merge_tree(loss.ravel(), graph)           # join tree, ties broken by vertex index
    pairs = persistence_pairs(tree)                  # 0-dim pairs, the essential one closed at the max
    metrics = topology_metrics(tree)                 # #minima, #saddles, average persistence, ...
    profile = landscape_profile(tree)                # paper P's 1-D terrain
    topology = landscape_topology(loss, axes)        # all of the above for one landscape
"""

from losstopo.topology.analysis import LandscapeTopology, landscape_topology, load_topology, save_topology
from losstopo.topology.graph import CONNECTIVITIES, Graph, grid_graph, knn_graph, landscape_graph
from losstopo.topology.merge_tree import MINIMUM, ROOT, SADDLE, MergeTree, fill_nonfinite, merge_tree
from losstopo.topology.persistence import (
                                           PersistencePairs,
                                           TopologyMetrics,
                                           persistence_pairs,
                                           topology_metrics,
)
from losstopo.topology.profile import LandscapeProfile, landscape_profile

__all__ = [
    "CONNECTIVITIES",
    "MINIMUM",
    "ROOT",
    "SADDLE",
    "Graph",
    "LandscapeProfile",
    "LandscapeTopology",
    "MergeTree",
    "PersistencePairs",
    "TopologyMetrics",
    "fill_nonfinite",
    "grid_graph",
    "knn_graph",
    "landscape_graph",
    "landscape_profile",
    "landscape_topology",
    "load_topology",
    "merge_tree",
    "persistence_pairs",
    "save_topology",
    "topology_metrics",
]
