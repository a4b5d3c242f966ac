"""A stack machine: method-heavy code on instances that change, with the machine passed to each
instruction's method (as pybtex's BibTeX style interpreter, whose suite this stands for)."""


class Machine:
    def __init__(self, name, limit=1000):
        self.name = name
        self.limit = limit
        self.stack = []
        self.vars = {}
        self.output = []

    def push(self, value):
        self.stack.append(value)

    def pop(self):
        return self.stack.pop()

    def emit(self, text):
        self.output.append(text)


class Push:
    def __init__(self, value):
        self.value = value

    def execute(self, machine):
        machine.push(self.value)


class Add:
    def __init__(self):
        self.count = 2

    def execute(self, machine):
        machine.push(machine.pop() + machine.pop())


class Store:
    def __init__(self, name):
        self.name = name

    def execute(self, machine):
        machine.vars[self.name] = machine.pop()


class Load:
    def __init__(self, name):
        self.name = name

    def execute(self, machine):
        machine.push(machine.vars.get(self.name, 0))


class Emit:
    def __init__(self, fmt):
        self.fmt = fmt

    def execute(self, machine):
        machine.emit(self.fmt.format(machine.pop()))


class Block:
    def __init__(self, body):
        self.body = body

    def execute(self, machine):
        for instruction in self.body:
            instruction.execute(machine)


def program(n):
    """A block that sums 0..n-1 into a variable and writes each partial sum."""
    body = [Push(0), Store("total")]
    for i in range(n):
        body += [Load("total"), Push(i), Add(), Store("total"), Load("total"), Emit("sum {}")]
    return Block(body)


def run(n, name="m"):
    machine = Machine(name)
    program(n).execute(machine)
    return len(machine.output)
