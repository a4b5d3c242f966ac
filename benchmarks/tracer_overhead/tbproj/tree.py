"""Trees of project objects built by their constructors, passed to functions (as in packaging's
markers, pybtex's rich text, yapf's nodes)."""


class Leaf:
    def __init__(self, value):
        self.value = value


class Node:
    def __init__(self, op, children):
        self.op = op
        self.children = children


def build(depth, width, start=0):
    if depth == 0:
        return Leaf(start)
    return Node("+" if depth % 2 else "*", [build(depth - 1, width, start + i) for i in range(width)])


def evaluate(node):
    if isinstance(node, Leaf):
        return node.value
    values = [evaluate(c) for c in node.children]
    if node.op == "+":
        return sum(values)
    result = 1
    for v in values:
        result = result * v % 1000003
    return result


def render(node):
    if isinstance(node, Leaf):
        return str(node.value)
    return "(" + f" {node.op} ".join(render(c) for c in node.children) + ")"


def count_leaves(node):
    return 1 if isinstance(node, Leaf) else sum(count_leaves(c) for c in node.children)
