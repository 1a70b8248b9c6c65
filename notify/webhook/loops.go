package webhook

import (
	"fmt"
	"reflect"
	"strings"
	"text/template"
	"text/template/parse"

	"github.com/export-notifier/export-notifier/notify"
)

// refuseLoops refuses, before any event is rendered, the constructs that
// loop without data to bound them: a range over anything but a list or
// map of the event (a number, {{range 1000000}}, loops that many times
// whatever the event holds, and a function's result cannot be known before
// it runs), and templates that call themselves. Output-producing loops are
// also bounded by the size cap and the deadline while rendering; these are
// the loops that could spin without writing.
func refuseLoops(t *template.Template) error {
	if err := refuseRecursion(t); err != nil {
		return err
	}
	assigned := map[string]bool{}
	for _, tt := range t.Templates() {
		if tt.Tree != nil {
			collectAssigned(tt.Tree.Root, assigned)
		}
	}
	for _, tt := range t.Templates() {
		if tt.Tree == nil {
			continue
		}
		// Only the template executed with the event knows its dot; one
		// run through {{template}} may be handed anything.
		var dot reflect.Type
		if tt.Name() == t.Name() {
			dot = reflect.TypeFor[TemplateData]()
		}
		c := loopCheck{tree: tt.Tree, assigned: assigned}
		if err := c.list(tt.Tree.Root, dot, scope{"$": dot}); err != nil {
			return err
		}
	}
	return nil
}

// scope holds the static types of the variables in scope; a nil type is
// one that cannot be known before the template runs.
type scope map[string]reflect.Type

func (s scope) with(decl []*parse.VariableNode, t reflect.Type) scope {
	out := make(scope, len(s)+len(decl))
	for k, v := range s {
		out[k] = v
	}
	for _, d := range decl {
		out[d.Ident[0]] = t
	}
	return out
}

// loopCheck walks one template's tree, knowing the type of dot where it
// can.
type loopCheck struct {
	tree     *parse.Tree
	assigned map[string]bool // variables changed with "=", whose type may vary
}

func (c loopCheck) list(l *parse.ListNode, dot reflect.Type, vars scope) error {
	if l == nil {
		return nil
	}
	for _, n := range l.Nodes {
		var err error
		switch n := n.(type) {
		case *parse.ActionNode:
			if len(n.Pipe.Decl) > 0 && !n.Pipe.IsAssign {
				vars = vars.with(n.Pipe.Decl, c.pipeType(n.Pipe, dot, vars))
			}
		case *parse.IfNode:
			err = c.branches(&n.BranchNode, dot, dot, vars)
		case *parse.WithNode:
			err = c.branches(&n.BranchNode, c.pipeType(n.Pipe, dot, vars), dot, vars)
		case *parse.RangeNode:
			err = c.rangeNode(n, dot, vars)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// branches walks an if or with: the body with dot inner, a variable
// declared in the pipeline holding the pipeline's value, and the else
// part with dot outer.
func (c loopCheck) branches(b *parse.BranchNode, inner, outer reflect.Type, vars scope) error {
	if err := c.list(b.List, inner, vars.with(b.Pipe.Decl, c.pipeType(b.Pipe, outer, vars))); err != nil {
		return err
	}
	return c.list(b.ElseList, outer, vars)
}

func (c loopCheck) rangeNode(n *parse.RangeNode, dot reflect.Type, vars scope) error {
	over := c.pipeType(n.Pipe, dot, vars)
	var key, elem reflect.Type
	switch {
	case over == nil:
	case over.Kind() == reflect.Slice || over.Kind() == reflect.Array:
		key, elem = reflect.TypeFor[int](), over.Elem()
	case over.Kind() == reflect.Map:
		key, elem = over.Key(), over.Elem()
	}
	if elem == nil {
		loc, _ := c.tree.ErrorContext(n) // "name:line:column"
		line, _, _ := strings.Cut(strings.TrimPrefix(loc, c.tree.ParseName+":"), ":")
		return fmt.Errorf("line %s: {{range %s}}: a template may range only over a list or map of the event, not over a number or a function's result",
			line, notify.Cut(n.Pipe.String(), 60, notify.Bytes))
	}
	inner := vars
	switch len(n.Pipe.Decl) {
	case 1:
		inner = vars.with(n.Pipe.Decl, elem)
	case 2:
		inner = vars.with(n.Pipe.Decl[:1], key).with(n.Pipe.Decl[1:], elem)
	}
	if err := c.list(n.List, elem, inner); err != nil {
		return err
	}
	return c.list(n.ElseList, dot, vars)
}

// pipeType is the static type of what pipe yields, or nil when it cannot
// be known: only a field, a variable or dot, followed by field names, is
// followed.
func (c loopCheck) pipeType(pipe *parse.PipeNode, dot reflect.Type, vars scope) reflect.Type {
	if pipe == nil || len(pipe.Cmds) != 1 || len(pipe.Cmds[0].Args) != 1 {
		return nil
	}
	switch a := pipe.Cmds[0].Args[0].(type) {
	case *parse.DotNode:
		return dot
	case *parse.FieldNode:
		return fieldType(dot, a.Ident)
	case *parse.VariableNode:
		if c.assigned[a.Ident[0]] {
			return nil
		}
		return fieldType(vars[a.Ident[0]], a.Ident[1:])
	}
	return nil
}

// fieldType follows names (fields, map keys or methods) from t.
func fieldType(t reflect.Type, names []string) reflect.Type {
	for _, name := range names {
		if t == nil {
			return nil
		}
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		switch {
		case t.Kind() == reflect.Struct:
			if f, ok := t.FieldByName(name); ok {
				t = f.Type
				continue
			}
			if m, ok := reflect.PointerTo(t).MethodByName(name); ok && m.Type.NumOut() > 0 {
				t = m.Type.Out(0)
				continue
			}
			return nil
		case t.Kind() == reflect.Map:
			t = t.Elem()
		default:
			return nil
		}
	}
	return t
}

// collectAssigned records the variables a template changes with "=".
func collectAssigned(root *parse.ListNode, into map[string]bool) {
	visitNodes(root, func(n parse.Node) {
		var p *parse.PipeNode
		switch n := n.(type) {
		case *parse.ActionNode:
			p = n.Pipe
		case *parse.IfNode:
			p = n.Pipe
		case *parse.WithNode:
			p = n.Pipe
		case *parse.RangeNode:
			p = n.Pipe
		}
		if p != nil && p.IsAssign {
			for _, d := range p.Decl {
				into[d.Ident[0]] = true
			}
		}
	})
}

// visitNodes calls f on every node of the list, depth first, inside the
// bodies of if, with and range too.
func visitNodes(l *parse.ListNode, f func(parse.Node)) {
	if l == nil {
		return
	}
	for _, n := range l.Nodes {
		f(n)
		var b *parse.BranchNode
		switch n := n.(type) {
		case *parse.IfNode:
			b = &n.BranchNode
		case *parse.WithNode:
			b = &n.BranchNode
		case *parse.RangeNode:
			b = &n.BranchNode
		}
		if b != nil {
			visitNodes(b.List, f)
			visitNodes(b.ElseList, f)
		}
	}
}

// refuseRecursion refuses a template that, through {{template}}, runs
// itself: two such calls in one template double the work at each level.
func refuseRecursion(t *template.Template) error {
	calls := map[string][]*parse.TemplateNode{}
	for _, tt := range t.Templates() {
		if tt.Tree != nil {
			calls[tt.Name()] = templateCalls(tt.Tree.Root)
		}
	}
	const (
		unseen = iota
		open
		done
	)
	state := map[string]int{}
	var visit func(name string) error
	visit = func(name string) error {
		switch state[name] {
		case open:
			return fmt.Errorf("template %q runs itself through {{template}}", name)
		case done:
			return nil
		}
		state[name] = open
		for _, call := range calls[name] {
			if err := visit(call.Name); err != nil {
				return err
			}
		}
		state[name] = done
		return nil
	}
	for _, tt := range t.Templates() {
		if err := visit(tt.Name()); err != nil {
			return err
		}
	}
	return nil
}

// templateCalls lists the {{template}} actions in root.
func templateCalls(root *parse.ListNode) []*parse.TemplateNode {
	var calls []*parse.TemplateNode
	visitNodes(root, func(n parse.Node) {
		if call, ok := n.(*parse.TemplateNode); ok {
			calls = append(calls, call)
		}
	})
	return calls
}
